package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 2 GiB request and response bodies pass through a Portico process whose heap is capped at 64 MiB, which
 * only succeeds when bodies stream instead of being buffered.
 */
class LargeBodyTest {

    private static final long TWO_GIB = 2L * 1024 * 1024 * 1024;
    private static final String TOKEN = "large-body-test-token";

    private static TestUpstream upstream;
    private static Process portico;
    private static Path data;
    private static int httpPort;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        upstream = TestUpstream.start("large");
        data = Files.createTempDirectory("portico-large-");
        httpPort = freePort();
        int adminPort = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // 128 MiB holds the node's start-up state (model catalog, tokenizer tables, policies) with room to spare,
        // and is still a sixteenth of the 2 GiB bodies, so buffering one would fail with OutOfMemoryError.
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), "io.portico.cli.PorticoCommand", "serve",
                "--http-port", Integer.toString(httpPort), "--https-port", "0",
                "--admin-port", Integer.toString(adminPort), "--data-dir", data.toString()));
        builder.environment().put("PORTICO_ADMIN_TOKEN", TOKEN);
        builder.environment().put("PORTICO_HTTP_HOST", "127.0.0.1");
        builder.environment().put("PORTICO_ACCESS_LOG_LEVEL", "WARN");
        builder.redirectErrorStream(true).redirectOutput(data.resolve("portico.log").toFile());
        portico = builder.start();
        awaitReady(adminPort);
        Configs config = Configs.document();
        config.service("large", upstream.port());
        config.route("large", "large", "/");
        HttpResponse<String> applied = CLIENT.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + "/admin/v1/config/apply"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(config.build().toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    }

    @AfterAll
    static void stop() throws Exception {
        if (portico != null) {
            portico.destroy();
            portico.waitFor(30, TimeUnit.SECONDS);
        }
        upstream.close();
    }

    @Test
    void uploadOfTwoGibStreams() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/upload"))
                .timeout(Duration.ofMinutes(3))
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new PatternStream(TWO_GIB)), TWO_GIB))
                .build();

        HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode echo = Json.MAPPER.readTree(response.body());
        assertThat(echo.get("bodyLength").asLong()).isEqualTo(TWO_GIB);
        assertThat(portico.isAlive()).isTrue();
    }

    @Test
    void downloadOfTwoGibStreams() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/bytes?n=" + TWO_GIB))
                .timeout(Duration.ofMinutes(3)).build();

        HttpResponse<InputStream> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        long total = 0;
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                total += read;
            }
        }
        assertThat(total).isEqualTo(TWO_GIB);
        assertThat(portico.isAlive()).isTrue();
    }

    private static void awaitReady(int adminPort) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!portico.isAlive()) {
                throw new AssertionError("Portico exited: " + Files.readString(data.resolve("portico.log")));
            }
            try {
                HttpResponse<Void> ready = CLIENT.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + adminPort + "/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Portico did not become ready: " + Files.readString(data.resolve("portico.log")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** An input stream of {@code length} generated bytes that never keeps more than one small buffer. */
    private static final class PatternStream extends InputStream {
        private final long length;
        private long position;

        PatternStream(long length) {
            this.length = length;
        }

        @Override
        public int read() {
            return position < length ? (int) (position++ & 0x7f) : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int count) {
            if (position >= length) {
                return -1;
            }
            int size = (int) Math.min(count, length - position);
            for (int i = 0; i < size; i++) {
                buffer[offset + i] = (byte) ((position + i) & 0x7f);
            }
            position += size;
            return size;
        }
    }
}
