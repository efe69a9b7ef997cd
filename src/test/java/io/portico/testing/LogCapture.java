package io.portico.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Records the log events of one logger, and of the loggers below it, while a test runs. */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    /** Records the events of the logger named {@code loggerName}, a class or a package name. */
    public LogCapture(String loggerName) {
        logger = (Logger) LoggerFactory.getLogger(loggerName);
        appender.start();
        logger.addAppender(appender);
    }

    public LogCapture(Class<?> type) {
        this(type.getName());
    }

    /** Returns the formatted messages logged at {@code level}, oldest first. */
    public List<String> messages(Level level) {
        // AppenderBase.doAppend adds events while it holds the appender's lock.
        synchronized (appender) {
            return appender.list.stream()
                    .filter(event -> event.getLevel() == level)
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
        }
    }

    /** Returns the formatted messages logged at every level, oldest first. */
    public List<String> allMessages() {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /**
     * Waits until a message that contains {@code fragment} is logged at {@code level} and returns the first such
     * message.
     */
    public String awaitMessage(Level level, String fragment) {
        Conditions.eventually("a message with '" + fragment + "' is logged", () -> messages(level).stream()
                .anyMatch(message -> message.contains(fragment)));
        return messages(level).stream().filter(message -> message.contains(fragment)).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
