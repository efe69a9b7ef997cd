package io.portico.store;

import io.portico.quota.CounterId;
import io.portico.quota.CounterStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Usage counters in the {@code usage_counters} table of the configuration database. Each node adds its increments
 * to the shared rows, so a row holds the total of every node.
 */
final class JdbcCounterStore implements CounterStore {

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String DEADLOCK = "40P01";
    private static final String UPDATE = "UPDATE usage_counters SET amount = amount + ?, updated_at = ?"
            + " WHERE kind = ? AND scope = ? AND subject = ? AND period_start = ?";
    private static final String INSERT = "INSERT INTO usage_counters"
            + " (kind, scope, subject, period_start, period_end, amount, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String SELECT_CURRENT = "SELECT kind, scope, subject, period_start, period_end, amount"
            + " FROM usage_counters WHERE period_end > ?";
    private static final String PURGE = "DELETE FROM usage_counters WHERE period_end < ?";
    /**
     * How long the rows of an ended period stay in the table, for reports read with SQL. Enforcement reads only
     * the periods that have not ended.
     */
    static final Duration RETENTION = Duration.ofDays(400);
    /** How often a node deletes the rows older than {@link #RETENTION}, during a flush. */
    static final Duration PURGE_INTERVAL = Duration.ofHours(1);
    /** Rows are updated in this order on every node, so two nodes' flushes cannot deadlock on each other. */
    private static final Comparator<CounterId> ROW_ORDER = Comparator.comparing(CounterId::kind)
            .thenComparing(CounterId::scope).thenComparing(CounterId::subject).thenComparing(CounterId::start);

    private final DataSource dataSource;
    private final Transactions.Failure failure;
    /** When the next flush deletes expired rows. A node runs one flush at a time, so a volatile field suffices. */
    private volatile Instant nextPurge = Instant.MIN;

    JdbcCounterStore(DataSource dataSource, Transactions.Failure failure) {
        this.dataSource = dataSource;
        this.failure = failure;
    }

    /**
     * {@inheritDoc}
     *
     * <p>When two nodes insert the first row of the same counter at once, one of them fails on the primary key;
     * its whole transaction is then retried once, and finds the row.
     */
    @Override
    public Map<CounterId, Long> addAndRead(Map<CounterId, Long> increments, Instant now) {
        List<CounterId> ids = new ArrayList<>(increments.keySet());
        ids.sort(ROW_ORDER);
        try {
            return addAndReadOnce(increments, ids, now);
        } catch (StoreException e) {
            if (e.getCause() instanceof SQLException cause && retryable(cause)) {
                return addAndReadOnce(increments, ids, now);
            }
            throw e;
        }
    }

    private static boolean retryable(SQLException e) {
        return UNIQUE_VIOLATION.equals(e.getSQLState()) || DEADLOCK.equals(e.getSQLState());
    }

    private Map<CounterId, Long> addAndReadOnce(Map<CounterId, Long> increments, List<CounterId> ids, Instant now) {
        return Transactions.inTransaction(dataSource, Connection.TRANSACTION_READ_COMMITTED, false, failure,
                connection -> {
                    for (CounterId id : ids) {
                        add(connection, id, increments.get(id), now);
                    }
                    if (!now.isBefore(nextPurge)) {
                        purge(connection, now.minus(RETENTION));
                    }
                    return selectCurrent(connection, now);
                });
    }

    /** Deletes the rows of periods that ended before {@code cutoff}. */
    private void purge(Connection connection, Instant cutoff) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(PURGE)) {
            delete.setObject(1, utc(cutoff));
            delete.executeUpdate();
        }
        nextPurge = cutoff.plus(RETENTION).plus(PURGE_INTERVAL);
    }

    private static void add(Connection connection, CounterId id, long delta, Instant now) throws SQLException {
        LocalDateTime updatedAt = utc(now);
        try (PreparedStatement update = connection.prepareStatement(UPDATE)) {
            update.setLong(1, delta);
            update.setObject(2, updatedAt);
            update.setString(3, id.kind());
            update.setString(4, id.scope());
            update.setString(5, id.subject());
            update.setObject(6, utc(id.start()));
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            insert.setString(1, id.kind());
            insert.setString(2, id.scope());
            insert.setString(3, id.subject());
            insert.setObject(4, utc(id.start()));
            insert.setObject(5, utc(id.end()));
            insert.setLong(6, delta);
            insert.setObject(7, updatedAt);
            insert.executeUpdate();
        }
    }

    private static Map<CounterId, Long> selectCurrent(Connection connection, Instant now) throws SQLException {
        Map<CounterId, Long> totals = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(SELECT_CURRENT)) {
            select.setObject(1, utc(now));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    CounterId id = new CounterId(rows.getString(1), rows.getString(2), rows.getString(3),
                            instant(rows.getObject(4, LocalDateTime.class)),
                            instant(rows.getObject(5, LocalDateTime.class)));
                    totals.put(id, rows.getLong(6));
                }
            }
        }
        return totals;
    }

    private static LocalDateTime utc(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(LocalDateTime utc) {
        return utc.toInstant(ZoneOffset.UTC);
    }
}
