package io.portico.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Writes HikariCP's WARN and ERROR events as one line each, without their stack trace.
 *
 * <p>When the configuration database goes away, HikariCP 7.1 logs a WARN with the exception's stack trace for
 * each pooled connection it finds broken. The configuration watcher already logs the outage once, so these lines
 * add only the cause. The filter denies such an event and logs it again on the same logger at the same level, with
 * the exception's message appended and without the stack trace. The stack trace goes to DEBUG under this
 * filter's own name, {@code io.portico.node.HikariLogFilter}.
 */
public final class HikariLogFilter extends TurboFilter {

    private static final String HIKARI = "com.zaxxer.hikari";
    private static final Logger LOG = LoggerFactory.getLogger(HikariLogFilter.class);

    @Override
    public FilterReply decide(Marker marker, ch.qos.logback.classic.Logger logger, Level level, String format,
                              Object[] params, Throwable cause) {
        if (level == null || !level.isGreaterOrEqual(Level.WARN) || !logger.getName().startsWith(HIKARI)) {
            return FilterReply.NEUTRAL;
        }
        Throwable thrown = cause != null ? cause : MessageFormatter.getThrowableCandidate(params);
        if (thrown == null) {
            return FilterReply.NEUTRAL;
        }
        String message = MessageFormatter.arrayFormat(format, params, null).getMessage();
        String line = message + " (" + thrown + ")";
        if (level == Level.ERROR) {
            logger.error(line);
        } else {
            logger.warn(line);
        }
        LOG.debug("Stack trace of the {} event of {}: {}", level, logger.getName(), message, thrown);
        return FilterReply.DENY;
    }

    /**
     * Adds the filter to Logback, once per logger context. Does nothing when SLF4J logs to another backend.
     */
    public static void install() {
        TurboFilters.installOnce(HikariLogFilter.class, HikariLogFilter::new);
    }
}
