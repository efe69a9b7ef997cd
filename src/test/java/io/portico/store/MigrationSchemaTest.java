package io.portico.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.TestKeys;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks that the one set of migrations builds the same tables on H2 and on PostgreSQL. */
class MigrationSchemaTest {

    @TempDir
    Path dataDirectory;

    @Test
    void migrationsBuildSameSchemaOnBothDatabases() throws Exception {
        JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING).close();
        Set<String> h2;
        try (Connection connection = DriverManager.getConnection(
                "jdbc:h2:file:" + dataDirectory.toAbsolutePath().resolve("portico"), "sa", "")) {
            h2 = describe(connection.getMetaData(), "PUBLIC");
        }
        Set<String> postgres;
        try (TestPostgres server = TestPostgres.start()) {
            String url = server.newDatabase();
            JdbcConfigStore.open(url, "postgres", "postgres", TestKeys.KEYRING).close();
            try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres")) {
                postgres = describe(connection.getMetaData(), "public");
            }
        }

        assertThat(h2).containsExactlyElementsOf(postgres);
        assertThat(h2).containsExactly(
                "admin_tokens.created_at TIMESTAMP NOT NULL",
                "admin_tokens.description VARCHAR(256)",
                "admin_tokens.expires_at TIMESTAMP",
                "admin_tokens.id VARCHAR(32) NOT NULL",
                "admin_tokens.token_hash VARCHAR(64) NOT NULL",
                "admin_tokens.user_name VARCHAR(128) NOT NULL",
                "admin_users.created_at TIMESTAMP NOT NULL",
                "admin_users.name VARCHAR(128) NOT NULL",
                "admin_users.password_hash VARCHAR(256)",
                "admin_users.role VARCHAR(32) NOT NULL",
                "admin_users.team VARCHAR(128)",
                "admin_users.updated_at TIMESTAMP NOT NULL",
                "audit_log.actor VARCHAR(200) NOT NULL",
                "audit_log.after_spec VARCHAR(1000000)",
                "audit_log.before_spec VARCHAR(1000000)",
                "audit_log.client_address VARCHAR(64)",
                "audit_log.id BIGINT NOT NULL",
                "audit_log.kind VARCHAR(64) NOT NULL",
                "audit_log.name VARCHAR(128) NOT NULL",
                "audit_log.occurred_at TIMESTAMP NOT NULL",
                "audit_log.operation VARCHAR(16) NOT NULL",
                "audit_log.request_id VARCHAR(200)",
                "audit_log.store_version BIGINT NOT NULL",
                "audit_log.team VARCHAR(128)",
                "master_key.id INTEGER NOT NULL",
                "master_key.key_id VARCHAR(32) NOT NULL",
                "master_key.updated_at TIMESTAMP NOT NULL",
                "resources.kind VARCHAR(64) NOT NULL",
                "resources.name VARCHAR(128) NOT NULL",
                "resources.revision BIGINT NOT NULL",
                "resources.spec VARCHAR(1000000) NOT NULL",
                "resources.updated_at TIMESTAMP NOT NULL",
                "resources: primary key kind, name",
                "store_version.id INTEGER NOT NULL",
                "store_version.version BIGINT NOT NULL",
                "store_version: primary key id",
                "usage_counters.amount BIGINT NOT NULL",
                "usage_counters.kind VARCHAR(16) NOT NULL",
                "usage_counters.period_end TIMESTAMP NOT NULL",
                "usage_counters.period_start TIMESTAMP NOT NULL",
                "usage_counters.scope VARCHAR(200) NOT NULL",
                "usage_counters.subject VARCHAR(200) NOT NULL",
                "usage_counters.updated_at TIMESTAMP NOT NULL",
                "usage_counters: primary key kind, scope, subject, period_start");
    }

    @Test
    void reopeningAppliesNoMigrationTwice() throws Exception {
        JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING).close();
        JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING).close();

        try (Connection connection = DriverManager.getConnection(
                "jdbc:h2:file:" + dataDirectory.toAbsolutePath().resolve("portico"), "sa", "");
             ResultSet rows = connection.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM store_version")) {
            rows.next();
            assertThat(rows.getInt(1)).isEqualTo(1);
        }
    }

    /**
     * Returns one line per column (table, name, JDBC type, size of text columns, nullability) and one per primary
     * key, in lower case and sorted. Flyway's own history table is left out.
     */
    private static Set<String> describe(DatabaseMetaData metaData, String schema) throws SQLException {
        Set<String> lines = new TreeSet<>();
        try (ResultSet columns = metaData.getColumns(null, schema, "%", "%")) {
            while (columns.next()) {
                String table = columns.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                if (table.startsWith("flyway_")) {
                    continue;
                }
                JDBCType type = JDBCType.valueOf(columns.getInt("DATA_TYPE"));
                String size = type == JDBCType.VARCHAR ? "(" + columns.getInt("COLUMN_SIZE") + ")" : "";
                String nullable = columns.getInt("NULLABLE") == DatabaseMetaData.columnNoNulls ? " NOT NULL" : "";
                lines.add(table + "." + columns.getString("COLUMN_NAME").toLowerCase(Locale.ROOT) + " "
                        + type.getName() + size + nullable);
            }
        }
        for (String table : Set.of("resources", "store_version", "usage_counters")) {
            String name = schema.equals("PUBLIC") ? table.toUpperCase(Locale.ROOT) : table;
            lines.add(table + ": primary key " + primaryKey(metaData, schema, name));
        }
        return lines;
    }

    private static String primaryKey(DatabaseMetaData metaData, String schema, String table) throws SQLException {
        String[] columns = new String[8];
        int count = 0;
        try (ResultSet keys = metaData.getPrimaryKeys(null, schema, table)) {
            while (keys.next()) {
                columns[keys.getInt("KEY_SEQ") - 1] = keys.getString("COLUMN_NAME").toLowerCase(Locale.ROOT);
                count++;
            }
        }
        return String.join(", ", java.util.Arrays.copyOf(columns, count));
    }
}
