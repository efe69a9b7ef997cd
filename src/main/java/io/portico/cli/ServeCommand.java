package io.portico.cli;

import io.portico.Portico;
import io.portico.node.NodeConfig;
import io.portico.node.NodeConfigLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a Portico node in the foreground until it receives SIGINT or SIGTERM, then shuts it down gracefully. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Start Portico: the gateway listeners, the admin API and the configuration store.",
            "Settings come from --config, then PORTICO_* environment variables, then these options."})
public final class ServeCommand implements Callable<Integer> {

    /**
     * How long the shutdown hook waits past the drain timeout for the node to stop: the gateway step's own margin
     * and one more step's bound, so that a stuck step is logged by name before the process exits.
     */
    private static final long SHUTDOWN_MARGIN_MILLIS = 30_000;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML file of node settings.")
    Path config;

    @Option(names = "--http-port", paramLabel = "PORT", description = "Port of the HTTP listener (default 8080).")
    Integer httpPort;

    @Option(names = "--https-port", paramLabel = "PORT", description = "Port of the HTTPS listener (default 8443).")
    Integer httpsPort;

    @Option(names = "--admin-port", paramLabel = "PORT", description = "Port of the admin API (default 9080).")
    Integer adminPort;

    @Option(names = "--admin-host", paramLabel = "HOST",
            description = "Address of the admin API (default 127.0.0.1).")
    String adminHost;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (default ./data).")
    String dataDirectory;

    @Option(names = "--store-url", paramLabel = "JDBC_URL",
            description = "JDBC URL of a PostgreSQL store shared by several nodes (default: embedded H2).")
    String storeUrl;

    @Option(names = "--transport", paramLabel = "NAME",
            description = "Network transport: auto, epoll, io_uring or nio (default auto: epoll when it loads, else"
                    + " nio).")
    String transport;

    @Override
    public Integer call() throws Exception {
        Map<String, String> overrides = new HashMap<>();
        putIfSet(overrides, "http.port", httpPort);
        putIfSet(overrides, "https.port", httpsPort);
        putIfSet(overrides, "admin.port", adminPort);
        putIfSet(overrides, "admin.host", adminHost);
        putIfSet(overrides, "dataDirectory", dataDirectory);
        putIfSet(overrides, "store.url", storeUrl);
        putIfSet(overrides, "transport", transport);
        NodeConfig node = NodeConfigLoader.load(config, System.getenv(), overrides);
        Portico portico;
        try {
            portico = Portico.start(node, System.getenv()).toCompletionStage().toCompletableFuture().get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            System.err.println("Portico failed to start: " + cause.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // The drain, then room for one stuck step to reach its own bound and be logged by name.
                portico.stop().toCompletionStage().toCompletableFuture()
                        .get(node.drainTimeout().toMillis() + SHUTDOWN_MARGIN_MILLIS, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                System.err.println("Portico did not stop cleanly: " + e);
            } finally {
                stopped.countDown();
            }
        }, "portico-shutdown"));
        stopped.await();
        return 0;
    }

    private static void putIfSet(Map<String, String> overrides, String path, Object value) {
        if (value != null) {
            overrides.put(path, value.toString());
        }
    }
}
