package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Settings;
import io.portico.testing.HttpsNode;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Malformed bytes from clients on every listener of a real node, each input sent several times over new
 * connections while every log line at WARN and above is captured. A client must not be able to write a WARN or
 * ERROR line per connection: each input may cause at most one such line, however often it is repeated.
 */
class MalformedInputLogTest {

    private static final int REPEATS = 5;
    private static final byte[] H2_PREFACE = ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

    @TempDir
    static Path directory;

    private static TestNode node;

    /** One malformed input: a name, the listener it goes to, and whether the bytes follow a TLS handshake. */
    private record Input(String name, IntSupplier port, Transport transport, byte[] bytes) {
    }

    private enum Transport { TCP, TLS_HTTP1, TLS_H2 }

    @BeforeAll
    static void start() throws IOException {
        node = HttpsNode.start(directory, "localhost", Map.of("limits.maxHeaderSize", "4096"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static List<Input> inputs() {
        IntSupplier http = () -> node.portico().httpPort();
        IntSupplier https = () -> node.portico().httpsPort();
        IntSupplier admin = () -> node.portico().adminPort();
        List<Input> inputs = new ArrayList<>();

        inputs.add(new Input("invalid request line", http, Transport.TCP, ascii("GARBAGE\r\n\r\n")));
        inputs.add(new Input("binary noise", http, Transport.TCP, noise(4096)));
        inputs.add(new Input("invalid chunk size", http, Transport.TCP, ascii("POST / HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nZZZ\r\n\r\n")));
        inputs.add(new Input("Content-Length with chunked", http, Transport.TCP, ascii("POST / HTTP/1.1\r\n"
                + "Host: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")));
        inputs.add(new Input("header line without colon", http, Transport.TCP,
                ascii("GET / HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n")));
        inputs.add(new Input("oversized header", http, Transport.TCP,
                ascii("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")));
        inputs.add(new Input("chunked body cut short", http, Transport.TCP, ascii("POST / HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n10\r\nabc")));
        inputs.add(new Input("h2c SETTINGS of invalid length", http, Transport.TCP, h2InvalidSettings()));
        inputs.add(new Input("h2c HEADERS with noise", http, Transport.TCP, h2NoiseHeaders()));
        inputs.add(new Input("h2c DATA on stream 0", http, Transport.TCP, h2DataOnStreamZero()));

        inputs.add(new Input("TLS port noise", https, Transport.TCP, noise(2048)));
        inputs.add(new Input("plain HTTP to TLS port", https, Transport.TCP,
                ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n")));
        inputs.add(new Input("ClientHello cut short", https, Transport.TCP,
                new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc}));
        inputs.add(new Input("ClientHello with noise", https, Transport.TCP, clientHelloWithNoise()));
        inputs.add(new Input("noise after TLS handshake", https, Transport.TLS_HTTP1, noise(1024)));
        inputs.add(new Input("h2 SETTINGS of invalid length over TLS", https, Transport.TLS_H2, h2InvalidSettings()));
        inputs.add(new Input("h2 HEADERS with noise over TLS", https, Transport.TLS_H2, h2NoiseHeaders()));

        inputs.add(new Input("admin invalid request line", admin, Transport.TCP, ascii("GARBAGE\r\n\r\n")));
        inputs.add(new Input("admin binary noise", admin, Transport.TCP, noise(4096)));
        inputs.add(new Input("admin h2c preface", admin, Transport.TCP, h2InvalidSettings()));
        return inputs;
    }

    @Test
    void malformedInputsLogNothingPerConnection() throws Exception {
        for (Input input : inputs()) {
            try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
                for (int i = 0; i < REPEATS; i++) {
                    send(input);
                }

                List<String> lines = new ArrayList<>(log.messages(Level.WARN));
                lines.addAll(log.messages(Level.ERROR));
                assertThat(lines).as(input.name()).hasSizeLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void otherWarningsStillLogged() {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            LoggerFactory.getLogger(MalformedInputLogTest.class).warn("a warning of the test itself");
            LoggerFactory.getLogger("io.vertx.core.net.impl.ConnectionBase").error("a connection error");

            assertThat(log.messages(Level.WARN)).containsExactly("a warning of the test itself");
            assertThat(log.messages(Level.ERROR)).isEmpty();
        }
    }

    /** Sends the input on a new connection and reads until the server closes it or stays silent for a second. */
    private static void send(Input input) throws IOException {
        try (Socket socket = connect(input)) {
            socket.setSoTimeout(1000);
            socket.getOutputStream().write(input.bytes());
            socket.getOutputStream().flush();
            byte[] buffer = new byte[8192];
            while (socket.getInputStream().read(buffer) >= 0) {
                // Discard what the server sends until it closes the connection.
            }
        } catch (SocketTimeoutException e) {
            // The server keeps the connection open.
        } catch (IOException e) {
            // The server closed or reset the connection.
        }
    }

    private static Socket connect(Input input) throws IOException {
        int port = input.port().getAsInt();
        if (input.transport() == Transport.TCP) {
            return new Socket("127.0.0.1", port);
        }
        SSLSocket socket = (SSLSocket) trustAll().getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(input.transport() == Transport.TLS_H2 ? new String[] {"h2"}
                : new String[] {"http/1.1"});
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    /** Returns a TLS context that trusts any certificate; only ever used against the node on 127.0.0.1. */
    private static SSLContext trustAll() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new RawHttp.TrustAll()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS is not available", e);
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] noise(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    /** Returns the preface, then a SETTINGS frame of 5 bytes, which is not a multiple of 6 (RFC 9113 section 6.5). */
    private static byte[] h2InvalidSettings() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(H2_PREFACE);
        bytes.writeBytes(new byte[] {0, 0, 5, Http2FrameTypes.SETTINGS, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5});
        return bytes.toByteArray();
    }

    /** Returns the preface and valid SETTINGS, then a HEADERS frame whose header block is random bytes. */
    private static byte[] h2NoiseHeaders() {
        return h2(RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeFrame(ctx, Http2FrameTypes.HEADERS, 1, new Http2Flags().endOfHeaders(true).endOfStream(true),
                    Unpooled.wrappedBuffer(noise(64)), ctx.newPromise());
        }));
    }

    /** Returns the preface and valid SETTINGS, then a DATA frame on stream 0, a connection error (RFC 9113 6.1). */
    private static byte[] h2DataOnStreamZero() {
        return h2(RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeFrame(ctx, Http2FrameTypes.DATA, 0, new Http2Flags(), Unpooled.wrappedBuffer(noise(16)),
                    ctx.newPromise());
        }));
    }

    private static byte[] h2(byte[] frames) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(H2_PREFACE);
        bytes.writeBytes(frames);
        return bytes.toByteArray();
    }

    /** Returns a TLS handshake record that announces a ClientHello, followed by random bytes. */
    private static byte[] clientHelloWithNoise() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(new byte[] {0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03});
        bytes.writeBytes(noise(58));
        return bytes.toByteArray();
    }
}
