package io.portico.gateway.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Test clients for a TLS server on 127.0.0.1: JDK sockets that report what the server presented, and a hand-made
 * ClientHello for protocol versions the JDK client no longer offers.
 */
final class TlsProbe {

    static final List<String> MODERN_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");
    private static final int TIMEOUT_MILLIS = 5000;

    private TlsProbe() {
    }

    /** What one handshake negotiated. */
    record Handshake(X509Certificate certificate, String protocol, String applicationProtocol) {
    }

    /** Completes a handshake sending {@code serverName} as SNI (none when null), then closes the connection. */
    static Handshake handshake(int port, String serverName) throws IOException {
        return handshake(port, serverName, MODERN_PROTOCOLS, List.of());
    }

    static Handshake handshake(int port, String serverName, List<String> protocols, List<String> alpn)
            throws IOException {
        try (SSLSocket socket = connect(port, serverName, protocols, alpn)) {
            return describe(socket);
        }
    }

    /**
     * Opens a connection and completes the handshake. Each call uses a new SSL context, so no TLS session is
     * resumed and every handshake shows the certificate the server selects now.
     */
    static SSLSocket connect(int port, String serverName, List<String> protocols, List<String> alpn)
            throws IOException {
        SSLSocket socket = (SSLSocket) newContext().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        parameters.setProtocols(protocols.toArray(String[]::new));
        parameters.setApplicationProtocols(alpn.toArray(String[]::new));
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    static Handshake describe(SSLSocket socket) throws IOException {
        X509Certificate leaf = (X509Certificate) socket.getSession().getPeerCertificates()[0];
        return new Handshake(leaf, socket.getSession().getProtocol(), socket.getApplicationProtocol());
    }

    /** Sends {@code GET /} over HTTP/1.1 on an open connection and returns the response body. */
    static String get(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        String head = readHead(in);
        if (!head.startsWith("HTTP/1.1 200")) {
            throw new IOException("unexpected response: " + head);
        }
        int length = -1;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        if (length < 0) {
            throw new IOException("response has no content-length: " + head);
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int next = in.read();
            if (next < 0) {
                throw new IOException("connection closed in the response head: " + head);
            }
            head.write(next);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /**
     * Sends a ClientHello for {@code version} (0x0301 for TLS 1.0 up to 0x0303 for TLS 1.2) over plain TCP and
     * returns the first 7 bytes the server sends back: a record header and, for an alert, its level and
     * description. Returns fewer bytes when the server closes the connection earlier.
     */
    static byte[] rawClientHelloResponse(int port, int version) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.getOutputStream().write(clientHello(version));
            socket.getOutputStream().flush();
            return socket.getInputStream().readNBytes(7);
        }
    }

    private static byte[] clientHello(int version) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeShort(body, version);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        body.writeBytes(random);
        body.write(0);
        // ECDHE_ECDSA and ECDHE_RSA with AES-128-GCM (TLS 1.2) and AES-128-CBC (TLS 1.0 and 1.1), RSA AES-128-CBC.
        int[] suites = {0xC02B, 0xC02F, 0xC009, 0xC013, 0x002F};
        writeShort(body, suites.length * 2);
        for (int suite : suites) {
            writeShort(body, suite);
        }
        body.write(1);
        body.write(0);
        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        // supported_groups: secp256r1 and x25519.
        extension(extensions, 0x000A, new byte[] {0x00, 0x04, 0x00, 0x17, 0x00, 0x1D});
        // ec_point_formats: uncompressed.
        extension(extensions, 0x000B, new byte[] {0x01, 0x00});
        // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256.
        extension(extensions, 0x000D, new byte[] {0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01});
        writeShort(body, extensions.size());
        body.writeBytes(extensions.toByteArray());

        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(0x16);
        writeShort(record, 0x0301);
        writeShort(record, body.size() + 4);
        record.write(0x01);
        record.write(0);
        writeShort(record, body.size());
        record.writeBytes(body.toByteArray());
        return record.toByteArray();
    }

    private static void extension(ByteArrayOutputStream out, int type, byte[] data) {
        writeShort(out, type);
        writeShort(out, data.length);
        out.writeBytes(data);
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >>> 8);
        out.write(value & 0xFF);
    }

    private static SSLContext newContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AcceptAnyCertificate()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Accepts every server certificate: the tests inspect the presented certificate themselves. */
    private static final class AcceptAnyCertificate extends X509ExtendedTrustManager {

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }
    }
}
