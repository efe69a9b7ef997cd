package io.portico.cli;

import io.portico.store.ConfigStore;
import java.nio.file.Path;

/** Opens the JDBC configuration store. */
final class JdbcStoreFactory implements StoreFactory {

    // TODO: call io.portico.store.JdbcConfigStore.open(jdbcUrl, user, password) once that class is in this tree.
    @Override
    public ConfigStore open(String jdbcUrl, String user, String password) {
        throw new UnsupportedOperationException("this build cannot open a JDBC store directly; use --admin-url");
    }

    // TODO: call io.portico.store.JdbcConfigStore.embedded(dataDirectory) once that class is in this tree.
    @Override
    public ConfigStore embedded(Path dataDirectory) {
        throw new UnsupportedOperationException("this build cannot open the embedded store directly; use --admin-url");
    }
}
