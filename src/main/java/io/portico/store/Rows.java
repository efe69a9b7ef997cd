package io.portico.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ValidationException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The SQL statements of {@link JdbcConfigStore}, written in the subset that PostgreSQL and H2 share.
 * Timestamps are stored as UTC in {@code TIMESTAMP} columns (without time zone), so that no session time zone
 * can shift them.
 */
final class Rows {

    /** Column sizes from the migration; a longer value is rejected before anything is written. */
    static final int MAX_KIND_LENGTH = 64;
    static final int MAX_NAME_LENGTH = 128;
    static final int MAX_SPEC_LENGTH = 1_000_000;

    private static final String COLUMNS = "kind, name, spec, revision, updated_at";
    private static final String SELECT_VERSION = "SELECT version FROM store_version WHERE id = 1";
    private static final String INCREMENT_VERSION = "UPDATE store_version SET version = version + 1 WHERE id = 1";
    private static final String SELECT_ALL = "SELECT " + COLUMNS + " FROM resources";
    private static final String SELECT_KIND = "SELECT " + COLUMNS + " FROM resources WHERE kind = ?";
    private static final String SELECT_ONE = "SELECT " + COLUMNS + " FROM resources WHERE kind = ? AND name = ?";
    private static final String SELECT_ONE_FOR_UPDATE = SELECT_ONE + " FOR UPDATE";
    private static final String INSERT = "INSERT INTO resources (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?)";
    private static final String UPDATE =
            "UPDATE resources SET spec = ?, revision = ?, updated_at = ? WHERE kind = ? AND name = ? AND revision = ?";
    private static final String DELETE = "DELETE FROM resources WHERE kind = ? AND name = ? AND revision = ?";
    private static final String UPDATE_SPEC_TEXT = "UPDATE resources SET spec = ? WHERE kind = ? AND name = ?";
    private static final String LOCK_VERSION = "UPDATE store_version SET version = version WHERE id = 1";
    private static final String SELECT_MASTER_KEY = "SELECT key_id FROM master_key WHERE id = 1";
    private static final String INSERT_MASTER_KEY = "INSERT INTO master_key (key_id, updated_at, id) VALUES (?, ?, 1)";
    private static final String UPDATE_MASTER_KEY = "UPDATE master_key SET key_id = ?, updated_at = ? WHERE id = 1";
    private static final String UNIQUE_VIOLATION = "23505";
    private static final Comparator<Resource> BY_KIND_AND_NAME =
            Comparator.comparing(Resource::kind).thenComparing(Resource::name);

    private Rows() {
    }

    /**
     * Checks that the change fits the columns and returns its spec as JSON text, or null for a delete.
     *
     * @throws ValidationException when the kind, name or spec text is too long or empty
     */
    static String checkAndSerialise(Change change) {
        checkLength(change.kind(), MAX_KIND_LENGTH, "kind");
        checkLength(change.name(), MAX_NAME_LENGTH, "name");
        if (change.spec() == null) {
            return null;
        }
        String text = serialise(change.spec());
        if (text.length() > MAX_SPEC_LENGTH) {
            throw new ValidationException("spec", "is " + text.length() + " characters of JSON, more than the "
                    + MAX_SPEC_LENGTH + " the store allows");
        }
        return text;
    }

    /** Returns {@code spec} as JSON text. */
    static String serialise(ObjectNode spec) {
        try {
            return Json.MAPPER.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new ValidationException("spec", "cannot be written as JSON: " + e.getOriginalMessage());
        }
    }

    private static void checkLength(String value, int max, String field) {
        if (value.isEmpty() || value.length() > max) {
            throw new ValidationException(field, "must be 1 to " + max + " characters long, but is "
                    + value.length() + ": '" + abbreviate(value) + "'");
        }
    }

    private static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }

    static long selectVersion(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SELECT_VERSION);
             ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) {
                throw new SQLException("the store_version table has no row; the schema was changed outside Portico");
            }
            return rows.getLong(1);
        }
    }

    /**
     * Increments the global version and returns the new value. The version row stays locked until the transaction
     * ends.
     */
    static long incrementVersion(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(INCREMENT_VERSION)) {
            if (statement.executeUpdate() != 1) {
                throw new SQLException("the store_version table has no row; the schema was changed outside Portico");
            }
        }
        return selectVersion(connection);
    }

    static List<Resource> selectAll(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SELECT_ALL)) {
            return selectList(statement);
        }
    }

    static List<Resource> selectKind(Connection connection, String kind) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SELECT_KIND)) {
            statement.setString(1, kind);
            return selectList(statement);
        }
    }

    static Optional<Resource> select(Connection connection, String kind, String name) throws SQLException {
        return select(connection, SELECT_ONE, kind, name);
    }

    /**
     * Selects a resource and locks its row until the transaction ends. NOTE: on H2 2.3.232 a plain SELECT right
     * after the version row lock was granted sometimes returned a row older than the last commit, which lost
     * updates in the concurrent increment test of the store contract; a locking read returns the newest committed
     * row.
     */
    static Optional<Resource> selectForUpdate(Connection connection, String kind, String name) throws SQLException {
        return select(connection, SELECT_ONE_FOR_UPDATE, kind, name);
    }

    private static Optional<Resource> select(Connection connection, String sql, String kind, String name)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, kind);
            statement.setString(2, name);
            List<Resource> found = selectList(statement);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
        }
    }

    static void insert(Connection connection, Change change, String spec, long revision, Instant now)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
            statement.setString(1, change.kind());
            statement.setString(2, change.name());
            statement.setString(3, spec);
            statement.setLong(4, revision);
            statement.setObject(5, LocalDateTime.ofInstant(now, ZoneOffset.UTC));
            statement.executeUpdate();
        } catch (SQLException e) {
            // Commits are serialised on the version row, so this only happens when something else wrote the table.
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw new ConflictException(change.kind() + "/" + change.name() + " already exists", false);
            }
            throw e;
        }
    }

    /**
     * Updates the row of {@code change} if it is still at {@code storedRevision}, the revision read earlier in the
     * same transaction. The condition makes a lost update impossible even where the database lets the earlier
     * read see a row that a concurrent commit has since replaced.
     */
    static void update(Connection connection, Change change, String spec, long revision, Instant now,
                       long storedRevision) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(UPDATE)) {
            statement.setString(1, spec);
            statement.setLong(2, revision);
            statement.setObject(3, LocalDateTime.ofInstant(now, ZoneOffset.UTC));
            statement.setString(4, change.kind());
            statement.setString(5, change.name());
            statement.setLong(6, storedRevision);
            checkOneRow(change, statement.executeUpdate());
        }
    }

    /** Deletes the row of {@code change} if it is still at {@code storedRevision}, as {@link #update} does. */
    static void delete(Connection connection, Change change, long storedRevision) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(DELETE)) {
            statement.setString(1, change.kind());
            statement.setString(2, change.name());
            statement.setLong(3, storedRevision);
            checkOneRow(change, statement.executeUpdate());
        }
    }

    private static void checkOneRow(Change change, int rows) {
        if (rows != 1) {
            throw new ConflictException(change.kind() + "/" + change.name()
                    + " was changed by a concurrent commit; read it again and retry", true);
        }
    }

    /** Replaces the stored spec text of a resource and leaves its revision and time as they are. */
    static void updateSpecText(Connection connection, String kind, String name, String spec) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(UPDATE_SPEC_TEXT)) {
            statement.setString(1, spec);
            statement.setString(2, kind);
            statement.setString(3, name);
            statement.executeUpdate();
        }
    }

    /** Locks the version row until the transaction ends, without changing the version. */
    static void lockVersion(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(LOCK_VERSION)) {
            if (statement.executeUpdate() != 1) {
                throw new SQLException("the store_version table has no row; the schema was changed outside Portico");
            }
        }
    }

    /** Returns the id of the master key that the stored secrets are under, or empty when none was recorded. */
    static Optional<String> selectMasterKeyId(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SELECT_MASTER_KEY);
             ResultSet rows = statement.executeQuery()) {
            return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
        }
    }

    /** Records {@code keyId} as the master key that the stored secrets are under. */
    static void upsertMasterKeyId(Connection connection, String keyId, Instant now, boolean exists)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(exists ? UPDATE_MASTER_KEY
                : INSERT_MASTER_KEY)) {
            statement.setString(1, keyId);
            statement.setObject(2, LocalDateTime.ofInstant(now, ZoneOffset.UTC));
            statement.executeUpdate();
        }
    }

    /**
     * Returns the selected rows sorted by kind and name in Java's {@link String} order, because the databases'
     * collations order text differently.
     */
    private static List<Resource> selectList(PreparedStatement statement) throws SQLException {
        List<Resource> resources = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                resources.add(toResource(rows));
            }
        }
        resources.sort(BY_KIND_AND_NAME);
        return resources;
    }

    private static Resource toResource(ResultSet rows) throws SQLException {
        String kind = rows.getString(1);
        String name = rows.getString(2);
        Instant updatedAt = rows.getObject(5, LocalDateTime.class).toInstant(ZoneOffset.UTC);
        return new Resource(kind, name, parseSpec(kind, name, rows.getString(3)), rows.getLong(4), updatedAt);
    }

    private static ObjectNode parseSpec(String kind, String name, String text) {
        try {
            return Json.MAPPER.readValue(text, ObjectNode.class);
        } catch (JsonProcessingException e) {
            throw new StoreException("the stored spec of " + kind + "/" + name + " is not a JSON object: "
                    + e.getOriginalMessage(), e);
        }
    }
}
