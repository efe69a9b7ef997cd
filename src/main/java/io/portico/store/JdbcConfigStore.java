package io.portico.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.portico.config.Resource;
import io.portico.node.NodeConfig;
import io.portico.node.PrivateFiles;
import io.portico.quota.CounterStore;
import io.portico.store.crypto.Keyring;
import io.portico.store.crypto.SecretCipher;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ConfigStore} in a relational database: PostgreSQL for nodes that share their configuration, or an
 * embedded H2 file database for a single node. Both run the same Flyway migrations from
 * {@code classpath:db/migration} and the same portable SQL.
 *
 * <p>A commit first increments the version in the one-row {@code store_version} table. The row lock that this
 * update takes is held until the transaction ends, so concurrent commits, from this process or from other
 * nodes, apply one after another and each gets its own version.
 */
public final class JdbcConfigStore implements ConfigStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcConfigStore.class);
    private static final String POSTGRES_URL_PREFIX = "jdbc:postgresql:";
    private static final int MAX_POOL_SIZE = 4;
    private static final long CONNECTION_TIMEOUT_MILLIS = 3_000;
    private static final long VALIDATION_TIMEOUT_MILLIS = 1_000;
    /** PostgreSQL driver settings in seconds. A setting in the JDBC URL takes precedence. */
    private static final String PG_CONNECT_TIMEOUT_SECONDS = "3";
    private static final String PG_SOCKET_TIMEOUT_SECONDS = "30";
    /**
     * Maximum wait for the store version on PostgreSQL. A database that stops responding without closing its
     * connections, such as a paused process or a lost network path, then counts as unreachable after this rather
     * than after the socket timeout.
     */
    private static final int PG_VERSION_TIMEOUT_MILLIS = 3_000;

    private final HikariDataSource dataSource;
    /** The pool for every call but {@link #version()}: it fails at once while the database is unreachable. */
    private final GuardedDataSource guarded;
    private final String location;
    private final boolean postgres;
    private final StoredSecrets secrets;
    private final JdbcAccountStore accounts;

    private JdbcConfigStore(HikariDataSource dataSource, String location, boolean postgres, StoredSecrets secrets) {
        this.dataSource = dataSource;
        this.guarded = new GuardedDataSource(dataSource);
        this.location = location;
        this.postgres = postgres;
        this.secrets = secrets;
        this.accounts = new JdbcAccountStore(guarded, location);
    }

    /** Returns the admin users and tokens in this store's database. */
    public AccountStore accounts() {
        return accounts;
    }

    /**
     * Connects to the database at {@code jdbcUrl}, migrates its schema to the current version, encrypts any
     * secret that is not yet under the current key of {@code keyring}, and returns the store. The pool opens at
     * most four connections and waits at most three seconds for one, so an unreachable database fails this call,
     * and later calls, within seconds.
     *
     * @param username database user; null when the URL or the driver supplies it
     * @param password database password; null when none is needed
     * @param keyring the master keys that encrypt and decrypt the secret fields of stored resources
     * @throws StoreException when the database cannot be reached, the migration fails, or the store's secrets
     *     are under a master key that {@code keyring} lacks
     */
    public static JdbcConfigStore open(String jdbcUrl, String username, String password, Keyring keyring) {
        requireNonNull(jdbcUrl, "jdbcUrl");
        StoredSecrets secrets = new StoredSecrets(new SecretCipher(requireNonNull(keyring, "keyring")));
        String location = redact(jdbcUrl);
        HikariDataSource dataSource = connect(jdbcUrl, username, password, location);
        try {
            migrate(dataSource, location);
            Transactions.inTransaction(dataSource, Connection.TRANSACTION_READ_COMMITTED, false,
                    e -> new StoreException("encrypting the stored secrets at " + location + " failed: "
                            + Transactions.describe(e), e),
                    connection -> {
                        SecretResealer.run(connection, secrets);
                        return null;
                    });
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        LOG.info("Opened the configuration store at {} with master key {}", location, keyring.current().id());
        return new JdbcConfigStore(dataSource, location, jdbcUrl.startsWith(POSTGRES_URL_PREFIX), secrets);
    }

    /**
     * Opens the embedded H2 database {@code <dataDirectory>/portico}, creating the directory and the database
     * when they do not exist. H2 locks the database file, so only one process can open it at a time.
     *
     * @throws StoreException when the directory cannot be created, the file is in use or the migration fails
     */
    public static JdbcConfigStore embedded(Path dataDirectory, Keyring keyring) {
        Path directory = requireNonNull(dataDirectory, "dataDirectory").toAbsolutePath().normalize();
        try {
            PrivateFiles.createPrivateDirectory(directory);
        } catch (IOException e) {
            throw new StoreException("cannot create the data directory " + directory + ": " + e, e);
        }
        String file = directory.resolve("portico").toString();
        if (file.indexOf(';') >= 0) {
            throw new IllegalArgumentException("data directory must not contain ';' (H2 URL separator): " + directory);
        }
        // DB_CLOSE_ON_EXIT=FALSE: H2 must not close the database in its own shutdown hook while the node still
        // drains requests. The database closes when the pool closes its last connection.
        // LOCK_TIMEOUT: commits queue on the version row lock, and H2's default of one second is too short for a
        // burst of concurrent commits.
        String url = "jdbc:h2:file:" + file + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000";
        try {
            JdbcConfigStore store = open(url, "sa", "", keyring);
            restrictToOwner(directory);
            return store;
        } catch (StoreException e) {
            if (String.valueOf(e.getMessage()).contains("already in use")) {
                throw new StoreException("the data directory " + directory + " is in use by another Portico "
                        + "process; stop that process or choose another data directory", e);
            }
            throw e;
        }
    }

    /**
     * Makes the database files in {@code directory} readable and writable by their owner only. H2 creates them
     * with the process umask, often 0644. A file that H2 creates later, such as a trace file, gets that mode too,
     * and the directory's own mode (0700 when Portico created it) is then what keeps other users out.
     */
    private static void restrictToOwner(Path directory) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "portico.*")) {
            for (Path file : files) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (UnsupportedOperationException e) {
            LOG.debug("The file system of {} has no POSIX permissions; the database files keep their mode",
                    directory);
        } catch (IOException e) {
            LOG.warn("Cannot make the database files in {} private to their owner; check their permissions: {}",
                    directory, e.toString());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>This call always tries the database, and its outcome decides whether the other calls fail at once: after
     * a connection failure on any call they do, until this call succeeds again. The configuration watcher makes it
     * on every poll. On PostgreSQL it fails after 3 seconds without a response.
     */
    @Override
    public long version() {
        return guarded.probe(() -> Transactions.withConnection(dataSource, failure("reading the store version"),
                this::selectVersion));
    }

    /**
     * {@inheritDoc}
     *
     * <p>It is true from the first connection failure of any call until {@link #version()} succeeds again.
     */
    @Override
    public boolean knownUnreachable() {
        return guarded.knownUnreachable();
    }

    private long selectVersion(Connection connection) throws SQLException {
        if (postgres) {
            // HikariCP restores the pool's network timeout when the connection returns to the pool.
            connection.setNetworkTimeout(Runnable::run, PG_VERSION_TIMEOUT_MILLIS);
        }
        return Rows.selectVersion(connection);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads in a SERIALIZABLE read-only transaction, which is a snapshot of the whole database on both
     * PostgreSQL and H2. H2's REPEATABLE READ would not do, because it allows phantom rows.
     */
    @Override
    public StoreContents read() {
        return Transactions.inTransaction(guarded, Connection.TRANSACTION_SERIALIZABLE, true,
                failure("reading the configuration"),
                connection -> new StoreContents(Rows.selectVersion(connection), opened(Rows.selectAll(connection))));
    }

    @Override
    public List<Resource> list(String kind) {
        requireNonNull(kind, "kind");
        return Transactions.withConnection(guarded, failure("listing " + kind),
                connection -> opened(Rows.selectKind(connection, kind)));
    }

    @Override
    public Optional<Resource> get(String kind, String name) {
        requireNonNull(kind, "kind");
        requireNonNull(name, "name");
        return Transactions.withConnection(guarded, failure("reading " + kind + "/" + name),
                connection -> Rows.select(connection, kind, name).map(secrets::open));
    }

    private List<Resource> opened(List<Resource> stored) {
        return stored.stream().map(secrets::open).toList();
    }

    /**
     * Deletes the audit entries that occurred before {@code cutoff} and returns how many there were.
     *
     * @throws StoreException when the database cannot be reached or rejects the statement
     */
    public int deleteAuditBefore(Instant cutoff) {
        requireNonNull(cutoff, "cutoff");
        return Transactions.inTransaction(guarded, Connection.TRANSACTION_READ_COMMITTED, false,
                failure("deleting old audit entries"), connection -> AuditRows.deleteBefore(connection, cutoff));
    }

    @Override
    public List<AuditEntry> audit(AuditQuery query) {
        requireNonNull(query, "query");
        return Transactions.withConnection(guarded, failure("reading the audit log"),
                connection -> AuditRows.select(connection, query));
    }

    /**
     * {@inheritDoc}
     *
     * <p>An empty list commits nothing and leaves the version as it is.
     *
     * @throws io.portico.config.ValidationException when a kind, name or serialised spec is longer than its
     *     column allows; nothing is written then
     */
    @Override
    public List<Resource> commit(List<Change> changes, AuditContext audit) {
        requireNonNull(changes, "changes");
        requireNonNull(audit, "audit");
        List<String> specs = new ArrayList<>(changes.size());
        for (Change change : changes) {
            requireNonNull(change, "change");
            specs.add(Rows.checkAndSerialise(change.spec() == null ? change : sealed(change)));
        }
        if (changes.isEmpty()) {
            return List.of();
        }
        String action = "committing " + changes.size() + (changes.size() == 1 ? " change" : " changes");
        return Transactions.inTransaction(guarded, Connection.TRANSACTION_READ_COMMITTED, false, failure(action),
                connection -> apply(connection, changes, specs, audit));
    }

    private Change sealed(Change change) {
        return new Change(change.operation(), change.kind(), change.name(),
                secrets.seal(change.kind(), change.name(), change.spec()), change.expectedRevision());
    }

    private List<Resource> apply(Connection connection, List<Change> changes, List<String> specs,
                                 AuditContext audit) throws SQLException {
        // Every commit locks the version row before any resource row, also when it turns out to change nothing.
        long version = Rows.incrementVersion(connection);
        // PostgreSQL keeps microseconds, so the returned resources match what a later read returns.
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<Resource> written = new ArrayList<>(changes.size());
        boolean changedAny = false;
        for (int i = 0; i < changes.size(); i++) {
            Change change = changes.get(i);
            Optional<Resource> stored = Rows.selectForUpdate(connection, change.kind(), change.name())
                    .map(secrets::open);
            if (isUnchanged(change, stored)) {
                written.add(checkExpected(change, stored));
                continue;
            }
            written.add(applyOne(connection, change, stored, specs.get(i), version, now));
            AuditRows.insert(connection, AuditRows.of(version, now, audit, change, stored.orElse(null)));
            changedAny = true;
        }
        if (!changedAny) {
            // Nothing differs from the store: the version stays, so no node reloads and every ETag stays valid.
            connection.rollback();
        }
        return written;
    }

    /**
     * Returns true for an update whose spec equals the stored one, secrets compared in clear. Such a change keeps
     * the stored revision and writes no audit entry.
     */
    private static boolean isUnchanged(Change change, Optional<Resource> stored) {
        return change.operation() == Change.Operation.UPDATE && stored.isPresent()
                && stored.get().spec().equals(change.spec());
    }

    private static Resource applyOne(Connection connection, Change change, Optional<Resource> stored, String spec,
                                     long version, Instant now) throws SQLException {
        switch (change.operation()) {
            case CREATE -> {
                if (stored.isPresent()) {
                    throw new ConflictException(change.kind() + "/" + change.name() + " already exists", false);
                }
                Rows.insert(connection, change, spec, version, now);
            }
            case UPDATE -> {
                Resource current = checkExpected(change, stored);
                Rows.update(connection, change, spec, version, now, current.revision());
            }
            case DELETE -> {
                Resource deleted = checkExpected(change, stored);
                Rows.delete(connection, change, deleted.revision());
                return deleted;
            }
            default -> throw new IllegalStateException("unknown operation " + change.operation());
        }
        return new Resource(change.kind(), change.name(), change.spec().deepCopy(), version, now);
    }

    private static Resource checkExpected(Change change, Optional<Resource> stored) {
        Resource resource = stored.orElseThrow(() -> new NotFoundException(change.kind(), change.name()));
        Long expected = change.expectedRevision();
        if (expected != null && expected != resource.revision()) {
            throw new ConflictException(change.kind() + "/" + change.name() + " is at revision "
                    + resource.revision() + ", but the change expected revision " + expected, true);
        }
        return resource;
    }

    /** Closes the connection pool. Calls after this fail with a {@link StoreException}. */
    @Override
    public void close() {
        if (!dataSource.isClosed()) {
            dataSource.close();
            LOG.info("Closed the configuration store at {}", location);
        }
    }

    /** Returns the JDBC URL with password values masked, as log lines name the store. */
    @Override
    public String toString() {
        return location;
    }

    private static HikariDataSource connect(String jdbcUrl, String username, String password, String location) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("portico-store");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(username);
        config.setPassword(password);
        config.setMaximumPoolSize(MAX_POOL_SIZE);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        config.setValidationTimeout(VALIDATION_TIMEOUT_MILLIS);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        // NOTE: after an outage HikariCP 7.1 retries opening connections with a backoff that grows to 5 seconds,
        // so calls can keep failing for up to about 5 seconds after the database is back.
        if (jdbcUrl.startsWith(POSTGRES_URL_PREFIX)) {
            config.addDataSourceProperty("connectTimeout", PG_CONNECT_TIMEOUT_SECONDS);
            // Bounds a statement on a connection whose peer vanished without closing it. The store's queries
            // take milliseconds.
            config.addDataSourceProperty("socketTimeout", PG_SOCKET_TIMEOUT_SECONDS);
            config.addDataSourceProperty("tcpKeepAlive", "true");
            config.addDataSourceProperty("ApplicationName", "portico");
        }
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to the configuration store at " + location + ": "
                    + Transactions.describe(e), e);
        }
    }

    private static void migrate(HikariDataSource dataSource, String location) {
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new StoreException("migrating the configuration store schema at " + location + " failed: "
                    + Transactions.describe(e), e);
        }
    }

    /** Returns the usage counters kept in this store's database, sharing its connection pool. */
    public CounterStore counters() {
        return new JdbcCounterStore(dataSource, failure("writing usage counters"));
    }

    private Transactions.Failure failure(String action) {
        return e -> new StoreException(action + " failed at " + location + ": " + Transactions.describe(e), e);
    }

    /** Returns {@code jdbcUrl} with the passwords it contains replaced by {@code ****}. */
    static String redact(String jdbcUrl) {
        return NodeConfig.Store.redact(jdbcUrl);
    }
}
