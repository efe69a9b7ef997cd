package io.portico.store;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that fails at once, without waiting for the pool's connection timeout, while the database
 * is known to be unreachable.
 *
 * <p>The database counts as unreachable from the first connection failure, on any call, or from a probe that
 * finds no free connection, until a call made through {@link #probe} succeeds. The configuration watcher reads the
 * store version through {@link #probe} on every poll, so calls fail fast from the first failure until at most one
 * poll after the database is back.
 */
final class GuardedDataSource implements DataSource {

    private final DataSource pool;
    /** The reason the last connection attempt failed, or null while the database is reachable. */
    private volatile String outage;

    GuardedDataSource(DataSource pool) {
        this.pool = pool;
    }

    /**
     * Runs {@code call}, which uses the pool directly, even while the database is known to be unreachable, and
     * records from its outcome whether the database is reachable.
     */
    <T> T probe(Supplier<T> call) {
        try {
            T result = call.get();
            outage = null;
            return result;
        } catch (StoreException e) {
            // The probe is one short read. When it finds no free connection within the pool's timeout, every
            // connection is stuck on a database that does not reply, which counts as unreachable too.
            if (e.unreachable() || e.getCause() instanceof SQLTransientConnectionException) {
                outage = Transactions.describe(e.getCause());
            }
            throw e;
        }
    }

    /** Returns true from a failed connection until a probe succeeds, while calls through this source fail at once. */
    boolean knownUnreachable() {
        return outage != null;
    }

    @Override
    public Connection getConnection() throws SQLException {
        String reason = outage;
        if (reason != null) {
            throw new SQLTransientConnectionException("the database was unreachable at the last attempt, so the call "
                    + "failed without waiting: " + reason, "08001");
        }
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            if (StoreException.isConnectionFailure(e)) {
                outage = Transactions.describe(e);
            }
            throw e;
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the pool's own credentials are used");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return type.isInstance(this) ? type.cast(this) : pool.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || pool.isWrapperFor(type);
    }
}
