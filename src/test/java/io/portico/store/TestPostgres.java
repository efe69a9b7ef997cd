package io.portico.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/** A real PostgreSQL server started by a test, on a free loopback port, with a fresh database per test. */
public final class TestPostgres implements AutoCloseable {

    private static final AtomicInteger DATABASE_IDS = new AtomicInteger();

    private final EmbeddedPostgres server;

    private TestPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    public static TestPostgres start() throws IOException {
        return new TestPostgres(EmbeddedPostgres.builder().start());
    }

    /**
     * Starts a server that keeps its files in {@code dataDirectory} when it stops, so that a later call with the
     * same port and directory brings back the same databases.
     */
    static TestPostgres start(Path dataDirectory, int port) throws IOException {
        return new TestPostgres(EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setPort(port)
                .start());
    }

    int port() {
        return server.getPort();
    }

    /** Returns the JDBC URL of the {@code postgres} database. */
    String url() {
        return server.getJdbcUrl("postgres", "postgres");
    }

    /** Creates an empty database and returns its JDBC URL. */
    public String newDatabase() throws SQLException {
        String name = "store_test_" + DATABASE_IDS.incrementAndGet();
        try (Connection connection = server.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return server.getJdbcUrl("postgres", name);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
