package io.portico.store;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/** Thrown when the configuration database cannot be reached or fails a statement. */
public class StoreException extends RuntimeException {

    /** SQLSTATE class of connection exceptions, which PostgreSQL and H2 use as the SQL standard defines it. */
    private static final String CONNECTION_EXCEPTION_CLASS = "08";
    /**
     * PostgreSQL's SQLSTATEs for a server that shuts down or is starting: admin_shutdown, crash_shutdown and
     * cannot_connect_now.
     */
    private static final Set<String> SERVER_SHUTDOWN_STATES = Set.of("57P01", "57P02", "57P03");

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }

    /**
     * Returns whether this failure means that the database cannot be reached, as opposed to a statement that the
     * database rejected.
     */
    public boolean unreachable() {
        return getCause() instanceof SQLException cause && isConnectionFailure(cause);
    }

    /**
     * Returns whether {@code e} means that the database cannot be reached. A pool timeout without a connection
     * error behind it only means that every connection was busy, so it does not count.
     */
    static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith(CONNECTION_EXCEPTION_CLASS) || SERVER_SHUTDOWN_STATES.contains(state))) {
            return true;
        }
        return e instanceof SQLTransientConnectionException && e.getCause() != null;
    }
}
