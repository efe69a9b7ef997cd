package io.portico.cli;

import io.portico.admin.AdminToken;
import io.portico.store.StoreException;
import io.portico.store.crypto.Keyring;
import io.portico.store.crypto.MasterKeys;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Options that choose where a command acts: a node's admin API (the default) or a store opened directly. */
final class ConnectionOptions {

    /** Environment variable read for the store password when {@code --store-password} is not given. */
    static final String STORE_PASSWORD_ENV = "PORTICO_STORE_PASSWORD";

    @Option(names = "--admin-url", paramLabel = "URL",
            description = "Admin API of a running node. Default: the PORTICO_ADMIN_URL environment variable, else"
                    + " http://PORTICO_ADMIN_HOST:PORTICO_ADMIN_PORT, else http://127.0.0.1:9080.")
    String adminUrl;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Admin API token. Default: the PORTICO_ADMIN_TOKEN environment variable, else the file"
                    + " admin-token in --data-dir. Prefer those two: options are visible to other local users.")
    String token;

    /** Environment variable read for the data directory when {@code --data-dir} is not given, as by serve. */
    static final String DATA_DIRECTORY_ENV = "PORTICO_DATA_DIR";
    private static final String DEFAULT_DATA_DIRECTORY = "data";

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory of the node, for its admin-token file, its master key and --embedded."
                    + " Default: the " + DATA_DIRECTORY_ENV + " environment variable, else ./"
                    + DEFAULT_DATA_DIRECTORY + ".")
    Path dataDirectory;

    @Option(names = "--store", paramLabel = "JDBC_URL",
            description = "Work on this store directly instead of through the admin API.")
    String storeUrl;

    @Option(names = "--store-user", paramLabel = "USER", description = "User name for --store.")
    String storeUser;

    @Option(names = "--store-password", paramLabel = "PASSWORD",
            description = "Password for --store. Default: the " + STORE_PASSWORD_ENV + " environment variable.")
    String storePassword;

    @Option(names = "--embedded",
            description = "Work directly on the embedded store in --data-dir. Use it only while no node runs on"
                    + " that directory.")
    boolean embedded;

    /**
     * Opens the target these options name.
     *
     * @throws CliException when the options contradict each other, no token is found, or the store cannot open
     */
    ConfigTarget open(Map<String, String> env, StoreFactory stores) {
        if (storeUrl != null && embedded) {
            throw CliException.invalidInput("use either --store or --embedded, not both");
        }
        Path directory = dataDirectory(env);
        try {
            if (storeUrl != null) {
                String password = storePassword != null ? storePassword : env.get(STORE_PASSWORD_ENV);
                Keyring keyring = MasterKeys.resolve(directory, env, false);
                return new StoreTarget(stores.open(storeUrl, storeUser, password, keyring));
            }
            if (embedded) {
                return new StoreTarget(stores.embedded(directory, MasterKeys.resolve(directory, env)));
            }
        } catch (StoreException | IllegalStateException | IllegalArgumentException | UncheckedIOException
                 | UnsupportedOperationException e) {
            throw CliException.unavailable("cannot open the store: " + e.getMessage());
        }
        return new AdminApiTarget(adminUrl != null ? adminUrl : defaultAdminUrl(env), resolveToken(env,
                directory));
    }

    /** Returns {@code --data-dir}, else the directory that {@code PORTICO_DATA_DIR} names, else {@code ./data}. */
    Path dataDirectory(Map<String, String> env) {
        if (dataDirectory != null) {
            return dataDirectory;
        }
        String fromEnv = env.get(DATA_DIRECTORY_ENV);
        return Path.of(fromEnv != null && !fromEnv.isEmpty() ? fromEnv : DEFAULT_DATA_DIRECTORY);
    }

    /** The admin API of a node started with the same environment, so a node on another port is found too. */
    static String defaultAdminUrl(Map<String, String> env) {
        String url = env.get("PORTICO_ADMIN_URL");
        if (url != null && !url.isBlank()) {
            return url;
        }
        String host = env.getOrDefault("PORTICO_ADMIN_HOST", "127.0.0.1");
        if (host.isBlank() || host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        } else if (host.equals("::")) {
            host = "::1";
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + env.getOrDefault("PORTICO_ADMIN_PORT", "9080");
    }

    private String resolveToken(Map<String, String> env, Path directory) {
        if (token != null && !token.isBlank()) {
            return token.trim();
        }
        String fromEnv = env.get(AdminToken.ENV_VAR);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        Optional<String> fromFile;
        try {
            fromFile = AdminToken.readFile(directory);
        } catch (RuntimeException e) {
            throw CliException.unavailable(e.getMessage());
        }
        return fromFile.orElseThrow(() -> CliException.unavailable("no admin token: pass --token, set "
                + AdminToken.ENV_VAR + ", or point --data-dir or " + DATA_DIRECTORY_ENV + " at the node's data"
                + " directory (looked for "
                + directory.resolve(AdminToken.FILE_NAME) + ")"));
    }
}
