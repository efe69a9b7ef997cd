package io.portico.store;

import io.portico.testing.TestKeys;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Runs the store contract on the embedded H2 file database, one database directory per test. */
class H2ConfigStoreTest extends ConfigStoreContractTest {

    @TempDir
    Path dataDirectory;

    @Override
    protected JdbcConfigStore openStore() {
        return JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING);
    }
}
