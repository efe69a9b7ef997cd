package io.portico.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The {@link AccountStore} of a {@link JdbcConfigStore}, in the same database. */
final class JdbcAccountStore implements AccountStore {

    static final String USERS = "users";
    static final String TOKENS = "tokens";

    private static final String USER_COLUMNS = "name, role, team, password_hash, created_at, updated_at";
    private static final String TOKEN_COLUMNS = "id, user_name, token_hash, description, created_at, expires_at";

    private final DataSource dataSource;
    private final String location;

    JdbcAccountStore(DataSource dataSource, String location) {
        this.dataSource = requireNonNull(dataSource, "dataSource");
        this.location = requireNonNull(location, "location");
    }

    @Override
    public List<AdminUser> users() {
        return read("listing admin users", connection -> selectUsers(connection,
                "SELECT " + USER_COLUMNS + " FROM admin_users ORDER BY name", null));
    }

    @Override
    public Optional<AdminUser> user(String name) {
        requireNonNull(name, "name");
        return read("reading admin user " + name, connection -> selectUser(connection, name));
    }

    @Override
    public void createUser(AdminUser user, AuditContext audit) {
        write("creating admin user " + user.name(), audit, connection -> {
            if (selectUser(connection, user.name()).isPresent()) {
                throw new ConflictException("admin user " + user.name() + " already exists", false);
            }
            try (PreparedStatement statement = connection.prepareStatement(
                    "INSERT INTO admin_users (" + USER_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
                bindUser(statement, user);
                statement.executeUpdate();
            }
            return new Written(USERS, user.name(), user.team(), "create", null, user.toJson());
        });
    }

    @Override
    public void updateUser(AdminUser user, AuditContext audit) {
        write("updating admin user " + user.name(), audit, connection -> {
            AdminUser before = selectUser(connection, user.name())
                    .orElseThrow(() -> new NotFoundException(USERS, user.name()));
            try (PreparedStatement statement = connection.prepareStatement("UPDATE admin_users SET name = ?,"
                    + " role = ?, team = ?, password_hash = ?, created_at = ?, updated_at = ? WHERE name = ?")) {
                bindUser(statement, user);
                statement.setString(7, user.name());
                statement.executeUpdate();
            }
            return new Written(USERS, user.name(), user.team(), "update", before.toJson(), user.toJson());
        });
    }

    @Override
    public void deleteUser(String name, AuditContext audit) {
        write("deleting admin user " + name, audit, connection -> {
            AdminUser before = selectUser(connection, name).orElseThrow(() -> new NotFoundException(USERS, name));
            try (PreparedStatement statement = connection.prepareStatement(
                    "DELETE FROM admin_users WHERE name = ?")) {
                statement.setString(1, name);
                statement.executeUpdate();
            }
            return new Written(USERS, name, before.team(), "delete", before.toJson(), null);
        });
    }

    @Override
    public List<AdminApiToken> tokens(String user) {
        requireNonNull(user, "user");
        return read("listing the tokens of admin user " + user, connection -> selectTokens(connection,
                "SELECT " + TOKEN_COLUMNS + " FROM admin_tokens WHERE user_name = ? ORDER BY created_at, id", user));
    }

    @Override
    public Optional<AdminApiToken> token(String id) {
        requireNonNull(id, "id");
        return read("reading an admin token", connection -> selectToken(connection, id));
    }

    @Override
    public void createToken(AdminApiToken token, AuditContext audit) {
        write("creating a token of admin user " + token.user(), audit, connection -> {
            AdminUser owner = selectUser(connection, token.user())
                    .orElseThrow(() -> new NotFoundException(USERS, token.user()));
            try (PreparedStatement statement = connection.prepareStatement(
                    "INSERT INTO admin_tokens (" + TOKEN_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
                statement.setString(1, token.id());
                statement.setString(2, token.user());
                statement.setString(3, token.tokenHash());
                statement.setString(4, token.description());
                statement.setObject(5, utc(token.createdAt()));
                setInstant(statement, 6, token.expiresAt());
                statement.executeUpdate();
            }
            return new Written(TOKENS, token.id(), owner.team(), "create", null, token.toJson());
        });
    }

    @Override
    public void deleteToken(String user, String id, AuditContext audit) {
        write("deleting a token of admin user " + user, audit, connection -> {
            AdminApiToken before = selectToken(connection, id).filter(token -> token.user().equals(user))
                    .orElseThrow(() -> new NotFoundException(TOKENS, id));
            String team = selectUser(connection, user).map(AdminUser::team).orElse(null);
            try (PreparedStatement statement = connection.prepareStatement("DELETE FROM admin_tokens WHERE id = ?")) {
                statement.setString(1, id);
                statement.executeUpdate();
            }
            return new Written(TOKENS, id, team, "delete", before.toJson(), null);
        });
    }

    /** The record of one account change, for its audit log entry. */
    private record Written(String kind, String name, String team, String operation, ObjectNode before,
                           ObjectNode after) {
    }

    private <T> T read(String action, Transactions.Work<T> work) {
        return Transactions.withConnection(dataSource, failure(action), work);
    }

    private void write(String action, AuditContext audit, Transactions.Work<Written> work) {
        requireNonNull(audit, "audit");
        Transactions.inTransaction(dataSource, Connection.TRANSACTION_READ_COMMITTED, false, failure(action),
                connection -> {
                    Written written = work.run(connection);
                    AuditRows.insert(connection, new AuditRows.Row(Rows.selectVersion(connection),
                            Instant.now().truncatedTo(ChronoUnit.MICROS), audit, written.operation(), written.kind(),
                            written.name(), written.team(), written.before(), written.after()));
                    return null;
                });
    }

    private Transactions.Failure failure(String action) {
        return e -> new StoreException(action + " failed at " + location + ": " + Transactions.describe(e), e);
    }

    private static Optional<AdminUser> selectUser(Connection connection, String name) throws SQLException {
        List<AdminUser> users = selectUsers(connection, "SELECT " + USER_COLUMNS + " FROM admin_users WHERE name = ?",
                name);
        return users.isEmpty() ? Optional.empty() : Optional.of(users.get(0));
    }

    private static List<AdminUser> selectUsers(Connection connection, String sql, String parameter)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            if (parameter != null) {
                statement.setString(1, parameter);
            }
            List<AdminUser> users = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    users.add(new AdminUser(rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), instant(rows, 5), instant(rows, 6)));
                }
            }
            return users;
        }
    }

    private static Optional<AdminApiToken> selectToken(Connection connection, String id) throws SQLException {
        List<AdminApiToken> tokens = selectTokens(connection,
                "SELECT " + TOKEN_COLUMNS + " FROM admin_tokens WHERE id = ?", id);
        return tokens.isEmpty() ? Optional.empty() : Optional.of(tokens.get(0));
    }

    private static List<AdminApiToken> selectTokens(Connection connection, String sql, String parameter)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            List<AdminApiToken> tokens = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    tokens.add(new AdminApiToken(rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), instant(rows, 5), instant(rows, 6)));
                }
            }
            return tokens;
        }
    }

    private static void bindUser(PreparedStatement statement, AdminUser user) throws SQLException {
        statement.setString(1, user.name());
        statement.setString(2, user.role());
        statement.setString(3, user.team());
        statement.setString(4, user.passwordHash());
        statement.setObject(5, utc(user.createdAt()));
        statement.setObject(6, utc(user.updatedAt()));
    }

    private static LocalDateTime utc(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException {
        if (instant == null) {
            statement.setNull(index, Types.TIMESTAMP);
        } else {
            statement.setObject(index, utc(instant));
        }
    }

    private static Instant instant(ResultSet rows, int column) throws SQLException {
        LocalDateTime value = rows.getObject(column, LocalDateTime.class);
        return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }
}
