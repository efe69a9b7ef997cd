package io.portico.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import redis.embedded.RedisServer;
import redis.embedded.core.RedisServerBuilder;

/**
 * A real Redis 6.2 server for tests, from the binaries embedded-redis ships: bound to 127.0.0.1 on a free port,
 * without persistence, with its files in a temporary directory. It can be stopped and started again on the same
 * port to simulate an outage.
 */
public final class TestRedis implements AutoCloseable {

    private final int port;
    private final Path directory;
    private final List<String> extraSettings;
    private RedisServer server;

    private TestRedis(int port, Path directory, List<String> extraSettings) {
        this.port = port;
        this.directory = directory;
        this.extraSettings = extraSettings;
    }

    /** Starts a standalone server. */
    public static TestRedis start() {
        return start(List.of());
    }

    /** Starts a server with extra configuration lines, such as {@code requirepass secret}. */
    public static TestRedis start(List<String> extraSettings) {
        try {
            TestRedis redis = new TestRedis(freePort(), Files.createTempDirectory("portico-redis-"),
                    List.copyOf(extraSettings));
            redis.startServer();
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException("Redis failed to start", e);
        }
    }

    /** Returns a free TCP port on 127.0.0.1. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    /** The URL of the server, {@code redis://127.0.0.1:PORT}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Stops the server; its data is lost. */
    public synchronized void stop() {
        try {
            if (server != null) {
                server.stop();
                server = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Redis failed to stop", e);
        }
    }

    /** Starts the server again on the same port, empty. */
    public synchronized void restart() {
        if (server == null) {
            startServer();
        }
    }

    private void startServer() {
        try {
            RedisServerBuilder builder = RedisServer.newRedisServer()
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("dir " + directory.toAbsolutePath());
            extraSettings.forEach(builder::setting);
            server = builder.build();
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Redis failed to start on port " + port, e);
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("Could not delete " + directory + ": " + e);
        }
    }
}
