package io.portico.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on 127.0.0.1 that can stop forwarding while keeping every connection open, as a database does when
 * its process is paused: connections are accepted and bytes sent are received, but nothing comes back.
 */
final class PausableProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean paused;

    private PausableProxy(ServerSocket server, int targetPort) {
        this.server = server;
        this.targetPort = targetPort;
    }

    static PausableProxy start(int targetPort) throws IOException {
        PausableProxy proxy = new PausableProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                targetPort);
        Thread acceptor = new Thread(proxy::accept, "pausable-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return proxy;
    }

    int port() {
        return server.getLocalPort();
    }

    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(target);
                pump(client, target);
                pump(target, client);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    while (paused) {
                        Thread.sleep(10);
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                closeQuietly(to);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pausable-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closed by the other side.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        sockets.forEach(PausableProxy::closeQuietly);
    }
}
