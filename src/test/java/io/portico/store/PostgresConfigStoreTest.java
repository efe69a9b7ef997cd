package io.portico.store;

import io.portico.testing.TestKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Runs the store contract on a real PostgreSQL server, with a new database per test. */
class PostgresConfigStoreTest extends ConfigStoreContractTest {

    private static TestPostgres postgres;

    /** This test's database; JUnit creates a new instance of this class for every test. */
    private String url;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = TestPostgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    @Override
    protected JdbcConfigStore openStore() throws Exception {
        if (url == null) {
            url = postgres.newDatabase();
        }
        return JdbcConfigStore.open(url, "postgres", "postgres", TestKeys.KEYRING);
    }
}
