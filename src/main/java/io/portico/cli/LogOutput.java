package io.portico.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Redirection of the log output of the commands other than {@code serve} to standard error, so that their standard
 * output contains only the document or report that they print. The logback configuration writes to standard output,
 * which {@code serve} keeps.
 */
final class LogOutput {

    private LogOutput() {
    }

    /** Makes every console appender of logback write to standard error. Does nothing under another SLF4J backend. */
    static void toStandardError() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        for (Logger logger : context.getLoggerList()) {
            redirect(logger);
        }
    }

    private static void redirect(AppenderAttachable<ILoggingEvent> attachable) {
        for (Iterator<Appender<ILoggingEvent>> appenders = attachable.iteratorForAppenders(); appenders.hasNext(); ) {
            Appender<ILoggingEvent> appender = appenders.next();
            if (appender instanceof ConsoleAppender<ILoggingEvent> console
                    && !"System.err".equals(console.getTarget())) {
                // The appender opens its target stream on start, so it is restarted to take the new target.
                console.stop();
                console.setTarget("System.err");
                console.start();
            } else if (appender instanceof AppenderAttachable<?> wrapper) {
                @SuppressWarnings("unchecked")
                AppenderAttachable<ILoggingEvent> inner = (AppenderAttachable<ILoggingEvent>) wrapper;
                redirect(inner);
            }
        }
    }
}
