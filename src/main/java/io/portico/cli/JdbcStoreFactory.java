package io.portico.cli;

import io.portico.store.ConfigStore;
import io.portico.store.JdbcConfigStore;
import java.nio.file.Path;

/** Opens the JDBC configuration store. */
final class JdbcStoreFactory implements StoreFactory {

    @Override
    public ConfigStore open(String jdbcUrl, String user, String password) {
        return JdbcConfigStore.open(jdbcUrl, user, password);
    }

    @Override
    public ConfigStore embedded(Path dataDirectory) {
        return JdbcConfigStore.embedded(dataDirectory);
    }
}
