package io.portico.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Sends hand-written HTTP/1.1 bytes, for requests that HTTP client libraries refuse to produce. */
final class RawHttp {

    private RawHttp() {
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
