package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** HikariCP's warnings are written as one line each, with the cause's message and without a stack trace. */
class HikariLogFilterTest {

    @Test
    void warningLosesStackTraceOnly() {
        Logger hikari = (Logger) LoggerFactory.getLogger("com.zaxxer.hikari.pool.ProxyConnection");
        ListAppender<ILoggingEvent> appender = capture(hikari);
        try {
            hikari.warn("{} - Connection {} marked as broken because of SQLSTATE({})", "portico-store", "c1", "08006",
                    new SQLException("An I/O error occurred while sending to the backend.", "08006"));
            hikari.warn("{} - Thread starvation or clock leap detected", "portico-store");
        } finally {
            hikari.detachAppender(appender);
        }

        assertThat(appender.list).hasSize(2);
        ILoggingEvent warning = appender.list.get(0);
        assertThat(warning.getLevel()).isEqualTo(Level.WARN);
        assertThat(warning.getThrowableProxy()).isNull();
        assertThat(warning.getFormattedMessage()).isEqualTo("portico-store - Connection c1 marked as broken because"
                + " of SQLSTATE(08006) (java.sql.SQLException: An I/O error occurred while sending to the backend.)");
        assertThat(appender.list.get(1).getFormattedMessage())
                .isEqualTo("portico-store - Thread starvation or clock leap detected");
    }

    @Test
    void otherLoggersKeepStackTrace() {
        Logger other = (Logger) LoggerFactory.getLogger("io.portico.node.HikariLogFilterTest.other");
        ListAppender<ILoggingEvent> appender = capture(other);
        try {
            other.warn("failed", new SQLException("broken"));
        } finally {
            other.detachAppender(appender);
        }

        assertThat(appender.list).hasSize(1);
        assertThat(appender.list.get(0).getThrowableProxy()).isNotNull();
    }

    private static ListAppender<ILoggingEvent> capture(Logger logger) {
        HikariLogFilter.install();
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        return appender;
    }
}
