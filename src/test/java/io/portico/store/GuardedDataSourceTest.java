package io.portico.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.net.ConnectException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The admin calls fail at once between a connection failure and the next successful version read. */
class GuardedDataSourceTest {

    private final FailingPool pool = new FailingPool();
    private final GuardedDataSource guarded = new GuardedDataSource(pool);

    @Test
    void failureMakesNextCallsFailAtOnce() {
        assertThatThrownBy(guarded::getConnection).isInstanceOf(SQLTransientConnectionException.class);
        assertThat(pool.calls.get()).isEqualTo(1);

        assertThatThrownBy(guarded::getConnection)
                .isInstanceOf(SQLTransientConnectionException.class)
                .hasMessageContaining("failed without waiting")
                .hasMessageContaining("Connection refused");
        assertThat(pool.calls.get()).isEqualTo(1);
    }

    @Test
    void successfulProbeEndsTheOutage() {
        assertThatThrownBy(guarded::getConnection).isInstanceOf(SQLException.class);

        long version = guarded.probe(() -> 7L);

        assertThat(version).isEqualTo(7);
        assertThatThrownBy(guarded::getConnection).isInstanceOf(SQLException.class);
        assertThat(pool.calls.get()).isEqualTo(2);
    }

    @Test
    void failedProbeStartsAnOutage() {
        StoreException unreachable = new StoreException("reading the store version failed",
                new SQLException("refused", "08001"));

        assertThatThrownBy(() -> guarded.probe(() -> {
            throw unreachable;
        })).isSameAs(unreachable);

        assertThatThrownBy(guarded::getConnection).hasMessageContaining("failed without waiting");
        assertThat(pool.calls.get()).isZero();
    }

    @Test
    void busyPoolIsNoOutage() {
        pool.failure = new SQLTransientConnectionException("Connection is not available, request timed out");

        assertThatThrownBy(guarded::getConnection).isSameAs(pool.failure);
        assertThatThrownBy(guarded::getConnection).isSameAs(pool.failure);
        assertThat(pool.calls.get()).isEqualTo(2);
    }

    @Test
    void probeFindingNoFreeConnectionStartsAnOutage() {
        StoreException stuck = new StoreException("reading the store version failed",
                new SQLTransientConnectionException("Connection is not available, request timed out after 3000ms"));

        assertThatThrownBy(() -> guarded.probe(() -> {
            throw stuck;
        })).isSameAs(stuck);

        assertThatThrownBy(guarded::getConnection).hasMessageContaining("failed without waiting");
        assertThat(pool.calls.get()).isZero();
    }

    @Test
    void rejectedStatementIsNoOutage() {
        StoreException rejected = new StoreException("committing failed", new SQLException("duplicate", "23505"));

        assertThat(rejected.unreachable()).isFalse();
        assertThatThrownBy(() -> guarded.probe(() -> {
            throw rejected;
        })).isSameAs(rejected);
        assertThatThrownBy(guarded::getConnection).isSameAs(pool.failure);
    }

    /** A pool whose database refuses connections, as HikariCP reports it after its connection timeout. */
    private static final class FailingPool implements DataSource {
        final AtomicInteger calls = new AtomicInteger();
        SQLException failure = new SQLTransientConnectionException("portico-store - Connection is not available,"
                + " request timed out after 3000ms", "08001", new ConnectException("Connection refused"));

        @Override
        public Connection getConnection() throws SQLException {
            calls.incrementAndGet();
            throw failure;
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }
}
