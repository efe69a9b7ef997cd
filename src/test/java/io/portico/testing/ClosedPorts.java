package io.portico.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Loopback ports where connections are refused, for tests of unreachable upstreams.
 *
 * <p>A port taken from a server socket that was then closed can be handed out again as the local port of an
 * outgoing connection. A connection to 127.0.0.1 on that port can then connect to itself, and the test gets a
 * broken exchange instead of a refused connection. Each port here stays bound by a socket that never listens,
 * so connections to it are refused and no other socket gets the port while the JVM runs.
 */
public final class ClosedPorts {

    private static final List<Socket> HELD = new ArrayList<>();

    private ClosedPorts() {
    }

    /** Returns a loopback port that refuses connections until the JVM exits. */
    public static synchronized int reserve() {
        Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException("failed to bind a loopback port", e);
        }
        HELD.add(socket);
        return socket.getLocalPort();
    }
}
