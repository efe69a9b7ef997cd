package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 clients that reset their stream or close their connection while the request body is still arriving. The
 * client left, so the request counts as aborted and the target is charged with nothing, as over HTTP/1.1. Both
 * kinds of upstream client are covered: Portico's HTTP/1.1 client for a plain http service, and Vert.x's client
 * for a service with {@code pool.http2} and for an https service.
 */
class Http2UploadAbortTest {

    /** The declared body length: above the size that is read whole before it goes to an HTTP/2 service. */
    private static final int DECLARED_LENGTH = 1_000_000;
    /** The bytes of the body sent before the abort, in DATA frames within the default flow-control window. */
    private static final int SENT_LENGTH = 4 * 16_000;
    /** Aborts per case: more than the services' {@code unhealthyThreshold}, which would eject the target. */
    private static final int ABORTS = 3;

    private static TestUpstream upstream;
    private static TestUpstream tlsUpstream;
    private static TestNode node;
    private static Logger accessLogger;
    private static Level accessLevel;

    @BeforeAll
    static void start() {
        accessLogger = (Logger) LoggerFactory.getLogger("portico.access");
        accessLevel = accessLogger.getLevel();
        // The test logging configuration turns the access log off.
        accessLogger.setLevel(Level.INFO);
        TestCertificates.Issued authority = TestCertificates.authority("Portico Test Upstream CA");
        TestCertificates.Issued certificate = TestCertificates.server(authority, "localhost", "127.0.0.1");
        upstream = TestUpstream.start("uploads");
        tlsUpstream = TestUpstream.start("tls-uploads", new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(certificate.privateKeyPem()))));
        node = TestNode.start();
        Configs config = Configs.document();
        for (String kind : List.of("plain", "h2", "tls")) {
            for (String abort : List.of("reset", "close")) {
                String name = kind + "-" + abort;
                ObjectNode service = config.service(name, kind.equals("tls") ? tlsUpstream.port() : upstream.port());
                service.putObject("healthCheck").putObject("passive").put("unhealthyThreshold", 2)
                        .put("recovery", "60s");
                service.putObject("retries").put("attempts", 1);
                service.putObject("pool").put("http2", kind.equals("h2"));
                if (kind.equals("tls")) {
                    service.put("protocol", "https").putObject("tls").put("caCertificate", authority.certificatePem());
                }
                config.route(name, name, "/" + name).put("stripPrefix", true);
            }
        }
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        tlsUpstream.close();
        accessLogger.setLevel(accessLevel);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"plain-reset", "plain-close", "h2-reset", "h2-close", "tls-reset", "tls-close"})
    void abortedUploadChargesNoTarget(String route) throws Exception {
        TestUpstream target = route.startsWith("tls") ? tlsUpstream : upstream;
        String path = "/" + route + "/echo";
        try (LogCapture access = new LogCapture("portico.access")) {
            for (int i = 1; i <= ABORTS; i++) {
                abortUpload(target, path, route.endsWith("reset"));

                int aborts = i;
                Conditions.eventually("the access-log line of abort " + i, () -> accessLines(access, path).size()
                        == aborts);
                String line = accessLines(access, path).get(i - 1);
                assertThat(line).as("access-log line").contains(" status=- ").endsWith(" aborted=true")
                        .doesNotContain("problem=");
                Conditions.eventually("no upload in flight", () -> health(route).path("inFlight").asInt() == 0);
                JsonNode health = health(route);
                assertThat(health.path("failures").asLong()).as("failures after abort %d: %s", i, health).isZero();
                assertThat(health.path("healthy").asBoolean()).as("healthy after abort %d: %s", i, health).isTrue();
            }
        }
        List<String> metrics = scrape();
        assertThat(metrics).as("requests of route %s", route).contains("portico_requests_total{api=\"\",method="
                + "\"POST\",route=\"" + route + "\",status=\"aborted\"} " + (double) ABORTS);
        assertThat(metrics).as("502 responses").noneMatch(sample -> sample.contains("route=\"" + route + "\"")
                && sample.contains("status=\"502\""));
        assertThat(metrics).as("connection errors").noneMatch(sample -> sample.contains("service=\"" + route + "\"")
                && sample.contains("outcome=\"connection_error\""));
        assertThat(GatewayClient.get(node, path).statusCode()).isEqualTo(200);
    }

    /**
     * Sends the head of a POST that declares {@value #DECLARED_LENGTH} bytes and the first {@value #SENT_LENGTH}
     * of them over h2c, waits until the upstream has the request, and then resets the stream with CANCEL or closes
     * the connection.
     */
    private static void abortUpload(TestUpstream target, String path, boolean reset) throws Exception {
        int before = target.requests("/echo");
        Http2Headers headers = Http2Wire.request("POST", "127.0.0.1", path);
        headers.add("content-length", Integer.toString(DECLARED_LENGTH));
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeHeaders(ctx, 1, headers, 0, false, ctx.newPromise());
            for (int sent = 0; sent < SENT_LENGTH; sent += 16_000) {
                writer.writeData(ctx, 1, Unpooled.wrappedBuffer(new byte[16_000]), 0, false, ctx.newPromise());
            }
        });
        byte[] resetFrame = RequestPathAttackTest.h2Frames(channel -> new DefaultHttp2FrameWriter().writeRstStream(
                channel.pipeline().firstContext(), 1, Http2Error.CANCEL.code(),
                channel.pipeline().firstContext().newPromise()));
        try (Socket socket = new Socket("127.0.0.1", node.portico().httpPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(Http2Wire.PREFACE);
            out.write(frames);
            out.flush();
            Conditions.eventually("the upstream received the request", () -> target.requests("/echo") > before);
            if (reset) {
                out.write(resetFrame);
                out.flush();
                // The connection stays open, so that only the stream ends.
                Thread.sleep(300);
            }
        }
    }

    private static List<String> accessLines(LogCapture access, String path) {
        return access.messages(Level.INFO).stream().filter(line -> line.contains(" path=" + path + " ")).toList();
    }

    private static JsonNode health(String service) {
        return node.admin("GET", "/admin/v1/services/" + service + "/health", null, 200).at("/targets/0");
    }

    private static List<String> scrape() {
        return Arrays.asList(node.adminRaw("GET", "/metrics", null).body().split("\n"));
    }
}
