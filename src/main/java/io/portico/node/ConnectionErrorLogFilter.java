package io.portico.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Moves the connection errors that clients can cause from WARN and ERROR down to DEBUG, so that a client cannot
 * fill the log by opening connections and sending malformed bytes.
 *
 * <p>Vert.x 5.0.7 logs at ERROR every exception of a connection that has no exception handler. An HTTP/2 connection
 * gets its handler only once the client's first SETTINGS frame is read, so a malformed first frame, such as a
 * SETTINGS frame whose length is not a multiple of six, writes one ERROR line per connection. Netty logs at WARN an
 * exception that reaches the end of a channel pipeline. This filter denies such events of {@link #LOGGERS} and logs
 * them again at DEBUG under its own name, {@code io.portico.node.ConnectionErrorLogFilter}.
 */
public final class ConnectionErrorLogFilter extends TurboFilter {

    /** The loggers whose WARN and ERROR events a client can cause per connection. */
    static final Set<String> LOGGERS = Set.of("io.vertx.core.net.impl.ConnectionBase",
            "io.netty.channel.DefaultChannelPipeline");

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionErrorLogFilter.class);

    @Override
    public FilterReply decide(Marker marker, ch.qos.logback.classic.Logger logger, Level level, String format,
                              Object[] params, Throwable cause) {
        if (level == null || !level.isGreaterOrEqual(Level.WARN) || !LOGGERS.contains(logger.getName())) {
            return FilterReply.NEUTRAL;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} from {} (moved to DEBUG, because clients can cause it on every connection)", format,
                    logger.getName(), cause);
        }
        return FilterReply.DENY;
    }

    /**
     * Adds the filter to Logback, once per logger context. Does nothing when SLF4J logs to another backend, whose
     * configuration must then lower {@link #LOGGERS} itself.
     */
    public static void install() {
        TurboFilters.installOnce(ConnectionErrorLogFilter.class, ConnectionErrorLogFilter::new);
    }
}
