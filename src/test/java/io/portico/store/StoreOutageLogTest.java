package io.portico.store;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A PostgreSQL outage is logged once when it begins and once when it ends, not on every admin request. */
class StoreOutageLogTest {

    /** Covers the pool's connection timeout and its reconnection backoff on a loaded machine. */
    private static final Duration OUTAGE_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dataDirectory;

    @Test
    void outageIsLoggedOncePerChange() throws Exception {
        int port = freePort();
        TestPostgres postgres = TestPostgres.start(dataDirectory, port);
        Logger adminLogger = (Logger) LoggerFactory.getLogger("io.portico.admin.AdminFailureHandler");
        Level adminLevel = adminLogger.getLevel();
        adminLogger.setLevel(Level.DEBUG);
        ListAppender<ILoggingEvent> hikari = capture("com.zaxxer.hikari");
        try (TestUpstream upstream = TestUpstream.start("kept");
             LogCapture watcher = new LogCapture(StoreWatcher.class);
             LogCapture admin = new LogCapture(adminLogger.getName())) {
            TestNode node = TestNode.start(Map.of("store.url", postgres.url(), "store.username", "postgres",
                    "store.password", "postgres"));
            try {
                Configs config = Configs.document();
                config.service("kept", upstream.port());
                config.route("kept", "kept", "/kept");
                node.apply(config.build());

                postgres.close();
                Conditions.eventually("the watcher reports the outage", OUTAGE_WAIT,
                        () -> !watcher.messages(Level.WARN).isEmpty());
                for (int i = 0; i < 3; i++) {
                    assertStoreUnavailable(node.adminRaw("GET", "/admin/v1/services", null));
                }

                assertThat(admin.messages(Level.WARN)).isEmpty();
                assertThat(admin.messages(Level.ERROR)).isEmpty();
                assertThat(admin.messages(Level.DEBUG)).hasSize(3);
                postgres = TestPostgres.start(dataDirectory, port);
                Conditions.eventually("the watcher reports the end of the outage", OUTAGE_WAIT,
                        () -> !watcher.messages(Level.INFO).stream()
                                .filter(line -> line.contains("reachable again")).toList().isEmpty());
                assertThat(node.adminRaw("GET", "/admin/v1/services", null).statusCode()).isEqualTo(200);
                assertThat(watcher.messages(Level.WARN)).hasSize(1);
                assertThat(watcher.messages(Level.WARN).get(0)).contains("Configuration store is unreachable");
                assertThat(watcher.messages(Level.INFO).stream().filter(line -> line.contains("reachable again")))
                        .hasSize(1);
                assertThat(warningsWithStackTrace(hikari)).isEmpty();
            } finally {
                node.close();
            }
        } finally {
            adminLogger.setLevel(adminLevel);
            ((Logger) LoggerFactory.getLogger("com.zaxxer.hikari")).detachAppender(hikari);
            postgres.close();
        }
    }

    private static void assertStoreUnavailable(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("type").asText()).endsWith("store-unavailable");
    }

    private static ListAppender<ILoggingEvent> capture(String loggerName) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(loggerName)).addAppender(appender);
        return appender;
    }

    private static List<String> warningsWithStackTrace(ListAppender<ILoggingEvent> appender) {
        synchronized (appender) {
            return appender.list.stream()
                    .filter(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                    .filter(event -> event.getThrowableProxy() != null)
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
