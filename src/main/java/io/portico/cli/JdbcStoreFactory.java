package io.portico.cli;

import io.portico.store.ConfigStore;
import io.portico.store.JdbcConfigStore;
import io.portico.store.crypto.Keyring;
import java.nio.file.Path;

/** Opens the JDBC configuration store. */
final class JdbcStoreFactory implements StoreFactory {

    @Override
    public ConfigStore open(String jdbcUrl, String user, String password, Keyring keyring) {
        return JdbcConfigStore.open(jdbcUrl, user, password, keyring);
    }

    @Override
    public ConfigStore embedded(Path dataDirectory, Keyring keyring) {
        return JdbcConfigStore.embedded(dataDirectory, keyring);
    }
}
