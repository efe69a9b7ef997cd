package io.portico.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP/1.1 upstream on 127.0.0.1 that records every request byte for byte, as the gateway framed it, and
 * responds to each with {@code 200 ok}. It parses requests strictly and records a framing it cannot parse as a
 * malformed request, so a test can check that the upstream received exactly one well-formed request, or none.
 */
public final class RecordingUpstream implements AutoCloseable {

    private final ServerSocket server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    /** One request as received: its head exactly as sent, its decoded body, and whether its framing was valid. */
    public record Request(String head, String body, boolean wellFormed, String problem) {

        /** Returns the request target of the request line. */
        public String target() {
            String[] parts = head.split("\r\n", 2)[0].split(" ");
            return parts.length > 1 ? parts[1] : "";
        }

        /** Returns every value of header {@code name}, in order. */
        public List<String> headers(String name) {
            List<String> values = new ArrayList<>();
            String[] lines = head.split("\r\n");
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0 && lines[i].substring(0, colon).equalsIgnoreCase(name)) {
                    values.add(lines[i].substring(colon + 1).trim());
                }
            }
            return values;
        }
    }

    private RecordingUpstream(ServerSocket server) {
        this.server = server;
        Thread acceptor = new Thread(this::accept, "recording-upstream-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts the upstream on an ephemeral port of 127.0.0.1. */
    public static RecordingUpstream start() {
        try {
            return new RecordingUpstream(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
        } catch (IOException e) {
            throw new IllegalStateException("the recording upstream failed to start", e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Returns the requests received so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Forgets the requests received so far. */
    public void clear() {
        requests.clear();
    }

    @Override
    public void close() {
        try {
            server.close();
            for (Socket connection : connections) {
                connection.close();
            }
        } catch (IOException e) {
            // The test is over; a socket that fails to close changes nothing.
            Thread.currentThread().interrupt();
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.add(socket);
                Thread reader = new Thread(() -> serve(socket), "recording-upstream-connection");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                Request request = readRequest(head, in);
                requests.add(request);
                if (!request.wellFormed()) {
                    return;
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            // The gateway closed or reset the connection.
            connections.remove(socket);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            if (b == end[matched]) {
                matched++;
            } else if (b == '\r') {
                matched = 1;
            } else {
                matched = 0;
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    private static Request readRequest(String head, InputStream in) throws IOException {
        String problem = headProblem(head);
        if (problem != null) {
            return new Request(head, "", false, problem);
        }
        Request shell = new Request(head, "", true, null);
        List<String> lengths = shell.headers("content-length");
        List<String> codings = shell.headers("transfer-encoding");
        if (!codings.isEmpty()) {
            if (!lengths.isEmpty() || codings.size() != 1 || !codings.get(0).equalsIgnoreCase("chunked")) {
                return new Request(head, "", false, "ambiguous framing: " + lengths + " " + codings);
            }
            String body = readChunked(in);
            return body == null ? new Request(head, "", false, "invalid chunked body") : new Request(head, body,
                    true, null);
        }
        if (lengths.size() > 1 || !lengths.isEmpty() && !lengths.get(0).matches("[0-9]{1,12}")) {
            return new Request(head, "", false, "invalid Content-Length " + lengths);
        }
        int length = lengths.isEmpty() ? 0 : Integer.parseInt(lengths.get(0));
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            return new Request(head, "", false, "body shorter than Content-Length");
        }
        return new Request(head, new String(body, StandardCharsets.ISO_8859_1), true, null);
    }

    /** Returns why a request head is malformed for a strict HTTP/1.1 server, or null. */
    private static String headProblem(String head) {
        String[] lines = head.split("\r\n", -1);
        if (!lines[0].matches("[A-Z]+ \\S+ HTTP/1\\.1")) {
            return "invalid request line: " + lines[0];
        }
        int hosts = 0;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || !line.substring(0, colon).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                return "invalid header line: " + line;
            }
            for (int c = 0; c < line.length(); c++) {
                char ch = line.charAt(c);
                if (ch == '\r' || ch == '\n' || ch == 0) {
                    return "control character in header line: " + line;
                }
            }
            if (line.substring(0, colon).toLowerCase(Locale.ROOT).equals("host")) {
                hosts++;
            }
        }
        return hosts == 1 ? null : hosts + " Host headers";
    }

    private static String readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in);
            if (line == null || !line.matches("[0-9a-fA-F]{1,8}")) {
                return null;
            }
            int size = Integer.parseInt(line, 16);
            if (size == 0) {
                String trailer = readLine(in);
                return trailer != null && trailer.isEmpty() ? body.toString(StandardCharsets.ISO_8859_1) : null;
            }
            body.write(in.readNBytes(size));
            String end = readLine(in);
            if (end == null || !end.isEmpty()) {
                return null;
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            if (previous == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            previous = b;
        }
    }
}
