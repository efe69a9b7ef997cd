package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.LogCapture;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Upstreams that respond with informational (1xx) statuses, behind a real node. A {@code 101 Switching Protocols}
 * to a request that asked for no upgrade must never reach the client, because a proxy in front of Portico that
 * receives it would take the connection for a tunnel and pass the next bytes unchecked (WebSocket smuggling). Other
 * interim responses are skipped and the final response that follows them is relayed, except where Vert.x's client
 * delivers a 1xx other than 100 and 103 as the final response, which gets 502 too. The cases run through the three
 * upstream clients: Portico's own HTTP/1.1 client ({@code plain}), Vert.x's HTTP/1.1 client over TLS ({@code tls}),
 * and Vert.x's HTTP/2 client with prior knowledge ({@code h2c}).
 */
class InformationalResponseTest {

    /** Canned HTTP/1.1 responses by request path. The upstream closes the connection after writing one. */
    private static final Map<String, String> RESPONSES = Map.of(
            "/switch", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!",
            "/switch-foo", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n",
            "/processing", "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "/unknown", "HTTP/1.1 199 Unknown\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "/hints", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

    private static Vertx vertx;
    private static NetServer plain;
    private static NetServer tls;
    private static EventLoopGroup h2cGroup;
    private static Channel h2c;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        plain = vertx.createNetServer().connectHandler(InformationalResponseTest::respond);
        plain.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("127.0.0.1");
        tls = vertx.createNetServer(new NetServerOptions().setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertValue(Buffer.buffer(certificate.certificatePem()))
                .setKeyValue(Buffer.buffer(certificate.privateKeyPem()))))
                .connectHandler(InformationalResponseTest::respond);
        tls.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        h2cGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        h2c = startH2c(h2cGroup);

        node = TestNode.start();
        Configs config = Configs.document();
        config.service("plain", plain.actualPort());
        config.service("tls", tls.actualPort()).put("protocol", "https").putObject("tls").put("verify", false);
        config.service("h2c", ((InetSocketAddress) h2c.localAddress()).getPort()).putObject("pool")
                .put("http2", true);
        for (String service : List.of("plain", "tls", "h2c")) {
            config.route(service, service, "/" + service).put("stripPrefix", true);
        }
        node.apply(config.build());
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        h2c.close().sync();
        h2cGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    static List<Arguments> switchingResponses() {
        return List.of(Arguments.of("plain", "/switch"), Arguments.of("plain", "/switch-foo"),
                Arguments.of("tls", "/switch"), Arguments.of("tls", "/switch-foo"), Arguments.of("h2c", "/switch"));
    }

    @ParameterizedTest
    @MethodSource("switchingResponses")
    void unrequestedSwitchIsBadGateway(String service, String path) {
        assertBadGateway(service, path);
    }

    /** Vert.x's client, behind the {@code tls} and {@code h2c} services, delivers these statuses as final. */
    static List<Arguments> unskippedInterimResponses() {
        return List.of(Arguments.of("tls", "/processing"), Arguments.of("tls", "/unknown"),
                Arguments.of("h2c", "/processing"));
    }

    @ParameterizedTest
    @MethodSource("unskippedInterimResponses")
    void unskippedInterimResponseIsBadGateway(String service, String path) {
        assertBadGateway(service, path);
    }

    private static void assertBadGateway(String service, String path) {
        long failuresBefore = failures(service);
        try (LogCapture log = new LogCapture(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
            HttpResponse<String> response = get(node, "/" + service + path);

            JsonNode problem = assertProblem(response, 502, "upstream-unavailable");
            assertThat(problem.path("detail").asText()).isEqualTo("service '" + service + "' sent an invalid response");
            assertThat(response.body()).doesNotContain("evil");
            assertThat(log.messages(Level.ERROR)).isEmpty();
            assertThat(log.messages(Level.WARN)).isEmpty();
        }
        assertThat(failures(service)).isEqualTo(failuresBefore + 1);
    }

    @Test
    void switchOverRawSocketIsBadGateway() throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 500,
                "GET /plain/switch HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(502);
        assertThat(exchange.rest()).doesNotContain("evil");
    }

    @Test
    void switchToHttp2ClientIsBadGateway() throws Exception {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                    .setPort(node.portico().httpPort()).setURI("/plain/switch");
            int status = ContextRequests.send(vertx, () -> client.request(request).compose(sent -> sent.send()
                    .compose(response -> response.body().map(body -> response.statusCode()))));

            assertThat(status).isEqualTo(502);
        } finally {
            client.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void interimToHandshakeIsBadGateway() throws Exception {
        long failuresBefore = failures("plain");

        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0,
                "GET /plain/processing HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(502);
        assertThat(failures("plain")).isEqualTo(failuresBefore + 1);
    }

    static List<Arguments> interimResponses() {
        return List.of(Arguments.of("plain", "/processing"), Arguments.of("plain", "/unknown"),
                Arguments.of("plain", "/hints"), Arguments.of("tls", "/hints"), Arguments.of("h2c", "/hints"));
    }

    @ParameterizedTest
    @MethodSource("interimResponses")
    void interimResponseIsSkipped(String service, String path) {
        HttpResponse<String> response = get(node, "/" + service + path);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok");
    }

    private static long failures(String service) {
        return node.admin("GET", "/admin/v1/services/" + service + "/health", null, 200)
                .at("/targets/0/failures").asLong();
    }

    /** Reads one request head and writes the canned response for its path, then closes the connection. */
    private static void respond(NetSocket socket) {
        StringBuilder received = new StringBuilder();
        socket.handler(data -> {
            received.append(data.toString(StandardCharsets.ISO_8859_1));
            int end = received.indexOf("\r\n\r\n");
            if (end < 0) {
                return;
            }
            String path = received.substring(0, end).split(" ", 3)[1];
            String response = RESPONSES.getOrDefault(path, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            socket.write(Buffer.buffer(response, "ISO-8859-1")).onComplete(written -> socket.close());
        });
    }

    /**
     * Starts an h2c upstream with prior knowledge that responds to {@code /switch} with {@code :status 101} and
     * {@code /processing} with {@code 102}, each followed by a final {@code 200 ok}, and {@code /hints} likewise with
     * {@code 103}.
     */
    private static Channel startH2c(EventLoopGroup group) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new H2cResponder());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** Responds to each request stream with an interim HEADERS frame chosen by path, then a final 200 response. */
    private static final class H2cResponder extends SimpleChannelInboundHandler<Http2StreamFrame> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
            if (!(frame instanceof Http2HeadersFrame headers)) {
                return;
            }
            Http2FrameStream stream = headers.stream();
            String interim = switch (String.valueOf(headers.headers().path())) {
                case "/switch" -> "101";
                case "/processing" -> "102";
                case "/hints" -> "103";
                default -> null;
            };
            if (interim != null) {
                Http2Headers informational = new DefaultHttp2Headers(false).status(interim);
                ctx.write(new DefaultHttp2HeadersFrame(informational, false).stream(stream));
            }
            Http2Headers response = new DefaultHttp2Headers().status("200").set("content-length", "2");
            ctx.write(new DefaultHttp2HeadersFrame(response, false).stream(stream));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII), true)
                    .stream(stream));
        }
    }
}
