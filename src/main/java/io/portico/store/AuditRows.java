package io.portico.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.SecretFields;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The SQL statements of the audit log, in the subset that PostgreSQL and H2 share. */
final class AuditRows {

    /** Column sizes from the migration; longer request ids and addresses are cut rather than rejected. */
    private static final int MAX_ACTOR_LENGTH = 200;
    private static final int MAX_REQUEST_ID_LENGTH = 200;
    private static final int MAX_ADDRESS_LENGTH = 64;
    private static final int MAX_TEAM_LENGTH = 128;

    private static final String TEAMS = "teams";
    private static final String COLUMNS = "id, occurred_at, store_version, actor, operation, kind, name, team,"
            + " before_spec, after_spec, request_id, client_address";
    private static final String DELETE_BEFORE = "DELETE FROM audit_log WHERE occurred_at < ?";
    private static final String INSERT = "INSERT INTO audit_log (occurred_at, store_version, actor, operation, kind,"
            + " name, team, before_spec, after_spec, request_id, client_address)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private AuditRows() {
    }

    /** One change to record; the specifications are already masked. */
    record Row(long storeVersion, Instant occurredAt, AuditContext context, String operation, String kind,
               String name, String team, ObjectNode before, ObjectNode after) {
    }

    /**
     * Returns the row that records {@code change}, with the secrets of both specifications masked. The team of a
     * team is its own name.
     */
    static Row of(long storeVersion, Instant now, AuditContext context, Change change, Resource before) {
        Optional<ResourceKind<?>> kind = ResourceKinds.find(change.kind());
        ObjectNode maskedBefore = before == null ? null : masked(kind, before.spec());
        ObjectNode maskedAfter = change.spec() == null ? null : masked(kind, change.spec());
        String team = change.kind().equals(TEAMS) ? change.name() : teamOf(maskedAfter);
        return new Row(storeVersion, now, context, change.operation().name().toLowerCase(Locale.ROOT),
                change.kind(), change.name(), team != null ? team : teamOf(maskedBefore), maskedBefore, maskedAfter);
    }

    private static ObjectNode masked(Optional<ResourceKind<?>> kind, ObjectNode spec) {
        return kind.map(known -> SecretFields.mask(known, spec)).orElseGet(spec::deepCopy);
    }

    /** Returns the {@code team} field of a specification, or null when it has none. */
    private static String teamOf(ObjectNode spec) {
        if (spec == null) {
            return null;
        }
        JsonNode team = spec.get("team");
        return team != null && team.isTextual() ? team.asText() : null;
    }

    /** Deletes the entries that occurred before {@code cutoff} and returns how many there were. */
    static int deleteBefore(Connection connection, Instant cutoff) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(DELETE_BEFORE)) {
            statement.setObject(1, LocalDateTime.ofInstant(cutoff, ZoneOffset.UTC));
            return statement.executeUpdate();
        }
    }

    static void insert(Connection connection, Row row) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
            statement.setObject(1, LocalDateTime.ofInstant(row.occurredAt(), ZoneOffset.UTC));
            statement.setLong(2, row.storeVersion());
            statement.setString(3, cut(row.context().actor(), MAX_ACTOR_LENGTH));
            statement.setString(4, row.operation());
            statement.setString(5, row.kind());
            statement.setString(6, row.name());
            statement.setString(7, cut(row.team(), MAX_TEAM_LENGTH));
            setJson(statement, 8, row.before());
            setJson(statement, 9, row.after());
            statement.setString(10, cut(row.context().requestId(), MAX_REQUEST_ID_LENGTH));
            statement.setString(11, cut(row.context().clientAddress(), MAX_ADDRESS_LENGTH));
            statement.executeUpdate();
        }
    }

    static List<AuditEntry> select(Connection connection, AuditQuery query) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit_log WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        condition(sql, parameters, " AND kind = ?", query.kind());
        condition(sql, parameters, " AND name = ?", query.name());
        condition(sql, parameters, " AND actor = ?", query.actor());
        condition(sql, parameters, " AND operation = ?",
                query.operation() == null ? null : query.operation().toLowerCase(Locale.ROOT));
        condition(sql, parameters, " AND team = ?", query.team());
        condition(sql, parameters, " AND occurred_at >= ?",
                query.since() == null ? null : LocalDateTime.ofInstant(query.since(), ZoneOffset.UTC));
        condition(sql, parameters, " AND occurred_at < ?",
                query.until() == null ? null : LocalDateTime.ofInstant(query.until(), ZoneOffset.UTC));
        condition(sql, parameters, " AND id < ?", query.beforeId());
        sql.append(" ORDER BY id DESC FETCH FIRST ").append(query.limit()).append(" ROWS ONLY");
        try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < parameters.size(); i++) {
                statement.setObject(i + 1, parameters.get(i));
            }
            List<AuditEntry> entries = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    entries.add(toEntry(rows));
                }
            }
            return entries;
        }
    }

    private static void condition(StringBuilder sql, List<Object> parameters, String clause, Object value) {
        if (value != null) {
            sql.append(clause);
            parameters.add(value);
        }
    }

    /**
     * Reads one entry. Its specifications were masked when it was written. Fields that became secret later, such as
     * credential header values, are in clear in older entries, so they are masked here.
     */
    private static AuditEntry toEntry(ResultSet rows) throws SQLException {
        String kind = rows.getString(6);
        return new AuditEntry(rows.getLong(1), rows.getObject(2, LocalDateTime.class).toInstant(ZoneOffset.UTC),
                rows.getLong(3), rows.getString(4), rows.getString(5), kind, rows.getString(7),
                rows.getString(8), remask(kind, parse(rows.getString(9))), remask(kind, parse(rows.getString(10))),
                rows.getString(11), rows.getString(12));
    }

    private static ObjectNode remask(String kind, ObjectNode spec) {
        if (spec == null) {
            return null;
        }
        return ResourceKinds.find(kind).map(known -> SecretFields.maskUnmasked(known, spec)).orElse(spec);
    }

    private static void setJson(PreparedStatement statement, int index, ObjectNode spec) throws SQLException {
        if (spec == null) {
            statement.setNull(index, Types.VARCHAR);
        } else {
            statement.setString(index, Rows.serialise(spec));
        }
    }

    private static ObjectNode parse(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(text, ObjectNode.class);
        } catch (JsonProcessingException e) {
            throw new StoreException("an audit log entry holds a specification that is not a JSON object", e);
        }
    }

    private static String cut(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
