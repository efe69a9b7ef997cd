package io.portico.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** Sends hand-written HTTP/1.1 bytes, for requests that HTTP client libraries refuse to produce. */
final class RawHttp {

    /** Upper bound for one read when a test waits for framed responses; reached only when a test fails. */
    private static final int RESPONSE_TIMEOUT_MILLIS = 10_000;

    private RawHttp() {
    }

    /** What a server sent on one connection, and whether it closed the connection within the wait. */
    record Received(String text, boolean closed) {

        /** Returns the body: everything after the first empty line. */
        String body() {
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? "" : text.substring(end + 4);
        }
    }

    /** One HTTP/1.1 response read from the wire, framed by its Content-Length or chunked coding. */
    record Response(int status, String head, String body) {

        /** Returns the first value of header {@code name}, or null. */
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** The responses read on one connection, and whether the server closed it after them. */
    record Exchange(List<Response> responses, boolean closed, String rest) {
    }

    /** The bytes a server sent on one connection, and whether it closed the connection within the wait. */
    record ReceivedBytes(byte[] bytes, boolean closed) {
    }

    /**
     * Writes {@code parts} with {@code pauseMillis} between them, then reads until the server closes the connection
     * or {@code waitMillis} pass without data.
     */
    static Received send(int port, long pauseMillis, long waitMillis, String... parts) throws IOException {
        byte[][] bytes = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            bytes[i] = parts[i].getBytes(StandardCharsets.ISO_8859_1);
        }
        ReceivedBytes received = sendBytes(port, pauseMillis, waitMillis, bytes);
        return new Received(new String(received.bytes(), StandardCharsets.ISO_8859_1), received.closed());
    }

    /** Writes {@code parts} at once, then reads like {@link #send}; for binary protocols such as HTTP/2. */
    static ReceivedBytes sendBytes(int port, long waitMillis, byte[]... parts) throws IOException {
        return sendBytes(port, 0, waitMillis, parts);
    }

    private static ReceivedBytes sendBytes(int port, long pauseMillis, long waitMillis, byte[]... parts)
            throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) waitMillis);
            writeParts(socket, pauseMillis, parts);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            boolean closed = false;
            try {
                for (int read; !closed; ) {
                    read = in.read(buffer);
                    if (read < 0) {
                        closed = true;
                    } else {
                        received.write(buffer, 0, read);
                    }
                }
            } catch (SocketTimeoutException e) {
                // The server kept the connection open.
            } catch (SocketException e) {
                // A reset after the response also means the server closed the connection.
                closed = true;
            }
            return new ReceivedBytes(received.toByteArray(), closed);
        }
    }

    /**
     * Writes {@code parts} with {@code pauseMillis} between them on a plain or TLS connection, then reads
     * {@code expected} framed responses. Stops early when the server closes the connection. After the last expected
     * response, waits up to {@code closeWaitMillis} to learn whether the server closes the connection; the
     * bytes that arrive meanwhile are returned as {@code rest}.
     */
    static Exchange exchange(int port, boolean tls, long pauseMillis, int expected, long closeWaitMillis,
                             String... parts) throws IOException {
        try (Socket socket = tls ? tlsSocket(port) : new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(RESPONSE_TIMEOUT_MILLIS);
            writeParts(socket, pauseMillis, parts);
            ResponseReader reader = new ResponseReader(socket);
            List<Response> responses = new ArrayList<>();
            while (responses.size() < expected) {
                Response response = reader.next();
                if (response == null) {
                    return new Exchange(responses, true, reader.rest());
                }
                responses.add(response);
            }
            boolean closed = closeWaitMillis > 0 && reader.awaitClose((int) closeWaitMillis);
            return new Exchange(responses, closed, reader.rest());
        }
    }

    /** Writes {@code request} on a plain connection and returns the first response the server sends. */
    static Received first(int port, String request) throws IOException {
        Exchange exchange = exchange(port, false, 0, 1, 0, request);
        if (exchange.responses().isEmpty()) {
            return new Received(exchange.rest(), true);
        }
        Response response = exchange.responses().get(0);
        return new Received(response.head() + "\r\n\r\n" + response.body(), exchange.closed());
    }

    /** Writes {@code request} and returns everything the server sends until it pauses for 500 ms or closes. */
    static String exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(500);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int read; (read = in.read(buffer)) > 0; ) {
                    received.write(buffer, 0, read);
                }
            } catch (SocketTimeoutException e) {
                // The server keeps the connection open after its response; what arrived so far is the response.
            }
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static void writeParts(Socket socket, long pauseMillis, String... parts) throws IOException {
        byte[][] bytes = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            bytes[i] = parts[i].getBytes(StandardCharsets.ISO_8859_1);
        }
        writeParts(socket, pauseMillis, bytes);
    }

    private static void writeParts(Socket socket, long pauseMillis, byte[]... parts) throws IOException {
        try {
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < parts.length; i++) {
                if (i > 0) {
                    sleep(pauseMillis);
                }
                out.write(parts[i]);
                out.flush();
            }
        } catch (SocketException | SSLException e) {
            // The server closed the connection before the last part; what it sent is still readable.
        }
    }

    /** Opens a TLS connection that trusts any certificate; only ever used against a node on 127.0.0.1. */
    static SSLSocket tlsSocket(int port) throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new TrustAll()}, null);
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
            socket.startHandshake();
            return socket;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("TLS is not available", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads HTTP/1.1 responses one by one from a stream, by their framing rather than by pauses. */
    private static final class ResponseReader {
        private final Socket socket;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private boolean ended;

        ResponseReader(Socket socket) {
            this.socket = socket;
        }

        /** Returns the next response, or null when the connection ended before a complete one arrived. */
        Response next() throws IOException {
            int headEnd;
            while ((headEnd = text().indexOf("\r\n\r\n")) < 0) {
                if (!fill()) {
                    return null;
                }
            }
            String head = text().substring(0, headEnd);
            int status = Integer.parseInt(head.substring(9, 12));
            Response shell = new Response(status, head, "");
            String length = shell.header("content-length");
            boolean chunked = "chunked".equalsIgnoreCase(shell.header("transfer-encoding"));
            boolean noBody = status == 204 || status == 304 || status / 100 == 1;
            String body;
            if (noBody) {
                body = "";
                consume(headEnd + 4);
            } else if (length != null) {
                body = fixedBody(headEnd + 4, Integer.parseInt(length));
            } else if (chunked) {
                body = chunkedBody(headEnd + 4);
            } else {
                while (fill()) {
                    // The body runs until the server closes the connection.
                }
                body = text().substring(headEnd + 4);
                consume(text().length());
            }
            return body == null ? null : new Response(status, head, body);
        }

        private String fixedBody(int start, int length) throws IOException {
            while (text().length() < start + length) {
                if (!fill()) {
                    return null;
                }
            }
            String body = text().substring(start, start + length);
            consume(start + length);
            return body;
        }

        private String chunkedBody(int start) throws IOException {
            StringBuilder body = new StringBuilder();
            int position = start;
            while (true) {
                int lineEnd;
                while ((lineEnd = text().indexOf("\r\n", position)) < 0) {
                    if (!fill()) {
                        return null;
                    }
                }
                int size = Integer.parseInt(text().substring(position, lineEnd).split(";")[0].trim(), 16);
                position = lineEnd + 2;
                if (size == 0) {
                    while (text().indexOf("\r\n", position) < 0) {
                        if (!fill()) {
                            return null;
                        }
                    }
                    consume(text().indexOf("\r\n", position) + 2);
                    return body.toString();
                }
                while (text().length() < position + size + 2) {
                    if (!fill()) {
                        return null;
                    }
                }
                body.append(text(), position, position + size);
                position += size + 2;
            }
        }

        /** Returns true when the server closes the connection within {@code millis}, reading what it sends. */
        boolean awaitClose(int millis) throws IOException {
            try {
                return !fill(millis);
            } catch (SocketTimeoutException e) {
                return false;
            }
        }

        String rest() {
            return text();
        }

        private boolean fill() throws IOException {
            return fill(RESPONSE_TIMEOUT_MILLIS);
        }

        private boolean fill(int timeoutMillis) throws IOException {
            if (ended) {
                return false;
            }
            byte[] buffer = new byte[8192];
            try {
                long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
                while (true) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        throw new SocketTimeoutException("no data within " + timeoutMillis + " ms");
                    }
                    socket.setSoTimeout((int) left);
                    int read = socket.getInputStream().read(buffer);
                    if (read < 0) {
                        ended = true;
                        return false;
                    }
                    if (read > 0) {
                        pending.write(buffer, 0, read);
                        return true;
                    }
                }
            } catch (SocketException | SSLException e) {
                // A reset also ends the connection.
                ended = true;
                return false;
            }
        }

        private String text() {
            return pending.toString(StandardCharsets.ISO_8859_1);
        }

        private void consume(int count) {
            byte[] all = pending.toByteArray();
            pending.reset();
            pending.write(all, count, all.length - count);
        }
    }

    /** Trusts any certificate; only ever used against a node on 127.0.0.1. */
    static final class TrustAll implements X509TrustManager {
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
    }
}
