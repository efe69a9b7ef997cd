package io.portico.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Sends hand-written HTTP/1.1 bytes, for requests that HTTP client libraries refuse to produce. */
final class RawHttp {

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

    /**
     * Writes {@code parts} with {@code pauseMillis} between them, then reads until the server closes the connection
     * or {@code waitMillis} pass without data.
     */
    static Received send(int port, long pauseMillis, long waitMillis, String... parts) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) waitMillis);
            try {
                for (int i = 0; i < parts.length; i++) {
                    if (i > 0) {
                        sleep(pauseMillis);
                    }
                    socket.getOutputStream().write(parts[i].getBytes(StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().flush();
                }
            } catch (SocketException e) {
                // The server closed the connection before the last part; what it sent is still readable.
            }
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
            return new Received(received.toString(StandardCharsets.ISO_8859_1), closed);
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
}
