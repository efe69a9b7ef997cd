package io.portico.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.sql.DataSource;

/** Runs JDBC work on a pooled connection and turns {@link SQLException}s into {@link StoreException}s. */
final class Transactions {

    private Transactions() {
    }

    /** JDBC work that needs a connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Builds the exception thrown when the database fails. Its message names the action that failed. */
    @FunctionalInterface
    interface Failure {
        StoreException of(SQLException cause);
    }

    /** Runs {@code work} on a connection in auto-commit mode. */
    static <T> T withConnection(DataSource dataSource, Failure failure, Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw failure.of(e);
        }
    }

    /**
     * Runs {@code work} in one transaction and commits it. Any exception, a {@link StoreException} thrown by
     * {@code work} included, rolls the transaction back before it propagates.
     */
    static <T> T inTransaction(DataSource dataSource, int isolation, boolean readOnly, Failure failure,
                               Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            // The pool restores isolation, read-only and auto-commit when the connection returns to it.
            connection.setTransactionIsolation(isolation);
            connection.setReadOnly(readOnly);
            connection.setAutoCommit(false);
            return runAndCommit(connection, work);
        } catch (SQLException e) {
            throw failure.of(e);
        }
    }

    private static <T> T runAndCommit(Connection connection, Work<T> work) throws SQLException {
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            rollback(connection, e);
            throw e;
        }
    }

    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // The connection is most likely broken, and the database discards the transaction with it.
            cause.addSuppressed(e);
        }
    }

    /**
     * Returns the messages of {@code e} and its causes, joined by {@code ": "}, so that a pool timeout also shows
     * the driver's reason, such as a refused connection. A cause's message that the previous message already
     * contains is left out, because HikariCP copies the driver's message into its own.
     */
    static String describe(Throwable e) {
        Set<String> messages = new LinkedHashSet<>();
        String previous = "";
        for (Throwable cause = e; cause != null && messages.size() < 4; cause = cause.getCause()) {
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            message = JdbcConfigStore.redact(message.strip());
            if (!previous.contains(message)) {
                messages.add(message);
            }
            previous = message;
        }
        return String.join(": ", messages);
    }
}
