package io.portico.cli;

import io.portico.store.ConfigStore;
import io.portico.store.crypto.Keyring;
import java.nio.file.Path;

/** Opens a configuration store for the commands that work on the store directly instead of the admin API. */
public interface StoreFactory {

    /** Opens the store at a JDBC URL, for example a PostgreSQL database shared by several nodes. */
    ConfigStore open(String jdbcUrl, String user, String password, Keyring keyring);

    /** Opens the embedded H2 store that a node keeps in {@code dataDirectory}. */
    ConfigStore embedded(Path dataDirectory, Keyring keyring);
}
