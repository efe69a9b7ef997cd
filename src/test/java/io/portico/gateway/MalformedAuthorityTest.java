package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.HttpsNode;
import io.portico.testing.LogCapture;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;

/**
 * A Host header or HTTP/2 {@code :authority} with a percent sign, which Vert.x 5.0.7 cannot parse, sent to the
 * gateway and admin listeners of a real node: each gets 400 {@code bad-request} at once, nothing reaches the
 * upstream, and nothing is logged at WARN or above.
 */
class MalformedAuthorityTest {

    private static final String BAD_REQUEST = "https://portico.dev/problems/bad-request";
    private static final int REPEATS = 3;
    /**
     * A host longer than 40 characters with a percent sign. Vert.x 5.0.7 reads the characters at index 38 and 39
     * (the code of '%' plus one and two) for it, so it misreads such a host instead of throwing.
     */
    private static final String LONG_HOST = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx%41";

    private static RecordingUpstream upstream;
    private static TestNode node;

    @TempDir
    static Path directory;

    @BeforeAll
    static void start() throws IOException {
        upstream = RecordingUpstream.start();
        node = HttpsNode.start(directory, "localhost", Map.of());
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("all", "up", "/");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @BeforeEach
    void forget() {
        upstream.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a%41", "%", "a%", "a%4", "a%zz", "a%41:80", LONG_HOST})
    void gatewayHostWithPercentIs400(String host) throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            for (int i = 0; i < REPEATS; i++) {
                RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 5_000,
                        "GET /q HTTP/1.1\r\nHost: " + host + "\r\n\r\n");

                assertThat(received.text()).startsWith("HTTP/1.1 400 ");
                assertThat(problemType(received.body())).isEqualTo(BAD_REQUEST);
                assertThat(received.closed()).as("the connection is closed at once").isTrue();
            }

            assertThat(warnings(log)).isEmpty();
        }
        assertThat(upstream.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a%41", "%", "a%4", "a%41:80", LONG_HOST})
    void adminHostWithPercentIs400(String host) throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            for (int i = 0; i < REPEATS; i++) {
                RawHttp.Received received = RawHttp.first(node.portico().adminPort(),
                        "GET /health/live HTTP/1.1\r\nHost: " + host + "\r\n\r\n");

                assertThat(received.text()).startsWith("HTTP/1.1 400 ");
                assertThat(problemType(received.body())).isEqualTo(BAD_REQUEST);
            }

            assertThat(warnings(log)).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a%41", "%", "a%4", "a%41:80", LONG_HOST})
    void h2cAuthorityWithPercentIs400(String authority) throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            for (int i = 0; i < REPEATS; i++) {
                Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(),
                        Http2Wire.request("GET", authority, "/q"), 1_000);

                Http2Wire.Stream stream = received.stream(1);
                assertThat(stream.status()).isEqualTo(400);
                assertThat(problemType(stream.body())).isEqualTo(BAD_REQUEST);
            }

            assertThat(warnings(log)).isEmpty();
        }
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void h2AuthorityWithPercentOverTlsIs400() throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            Http2Wire.Received received = Http2Wire.exchangeTls(node.portico().httpsPort(),
                    Http2Wire.request("GET", "a%41", "/q"), 1_000);

            Http2Wire.Stream stream = received.stream(1);
            assertThat(stream.status()).isEqualTo(400);
            assertThat(problemType(stream.body())).isEqualTo(BAD_REQUEST);
            assertThat(warnings(log)).isEmpty();
        }
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void h2cHostHeaderWithPercentIs400() throws Exception {
        Http2Headers headers = Http2Wire.request("GET", "a", "/q");
        headers.add("host", "a%41");

        Http2Wire.Stream stream = Http2Wire.exchange(node.portico().httpPort(), headers, 1_000).stream(1);

        assertThat(stream.status()).isEqualTo(400);
        assertThat(problemType(stream.body())).isEqualTo(BAD_REQUEST);
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void authorityAfterH2cUpgradeIsChecked() throws Exception {
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeHeaders(ctx, 3, Http2Wire.request("GET", "a%41", "/q"), 0, true, ctx.newPromise());
        });
        byte[] upgrade = ("GET /q HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            RawHttp.ReceivedBytes received = RawHttp.sendBytes(node.portico().httpPort(), 1_000, upgrade,
                    Http2Wire.PREFACE, frames);

            String text = new String(received.bytes(), StandardCharsets.ISO_8859_1);
            assertThat(text).startsWith("HTTP/1.1 101 ");
            int headEnd = text.indexOf("\r\n\r\n") + 4;
            Http2Wire.Received h2 = Http2Wire.decode(Arrays.copyOfRange(received.bytes(), headEnd,
                    received.bytes().length));
            assertThat(h2.stream(1).status()).as("the upgraded request").isEqualTo(200);
            assertThat(h2.stream(3).status()).isEqualTo(400);
            assertThat(problemType(h2.stream(3).body())).isEqualTo(BAD_REQUEST);
            assertThat(warnings(log)).isEmpty();
        }
        assertThat(upstream.requests()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /health/live HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET /health/live HTTP/1.1\r\nHost: user@a\r\n\r\n", "GET /health/live HTTP/1.1\r\n\r\n"})
    void adminInvalidHostIs400(String request) throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            RawHttp.Received received = RawHttp.first(node.portico().adminPort(), request);

            assertThat(received.text()).startsWith("HTTP/1.1 400 ");
            assertThat(problemType(received.body())).isEqualTo(BAD_REQUEST);
            assertThat(warnings(log)).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "a.example:8080", "[::1]:80"})
    void validAuthorityIsStillServed(String host) throws Exception {
        RawHttp.Received http1 = RawHttp.first(node.portico().httpPort(),
                "GET /q HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        Http2Wire.Received h2c = Http2Wire.exchange(node.portico().httpPort(), Http2Wire.request("GET", host, "/q"),
                1_000);
        RawHttp.Received admin = RawHttp.first(node.portico().adminPort(),
                "GET /health/live HTTP/1.1\r\nHost: " + host + "\r\n\r\n");

        assertThat(http1.text()).startsWith("HTTP/1.1 200 ");
        assertThat(h2c.stream(1).status()).isEqualTo(200);
        assertThat(admin.text()).startsWith("HTTP/1.1 200 ");
        assertThat(upstream.requests()).hasSize(2);
    }

    private static String problemType(String body) throws Exception {
        JsonNode problem = Json.MAPPER.readTree(body);
        return problem.path("type").asText();
    }

    private static List<String> warnings(LogCapture log) {
        List<String> lines = new ArrayList<>(log.messages(Level.WARN));
        lines.addAll(log.messages(Level.ERROR));
        return lines;
    }
}
