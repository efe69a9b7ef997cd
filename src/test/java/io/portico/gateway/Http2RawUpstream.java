package io.portico.gateway;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * An h2c upstream (HTTP/2 with prior knowledge) on 127.0.0.1, written frame by frame, that responds to every request
 * with the same response head and the same DATA frames, by default one with the body {@code ok}. The head is encoded
 * without validation, so it can carry what HTTP/2 libraries refuse to send, such as a field name with a colon, and
 * the frames need not match the head's {@code content-length}.
 */
final class Http2RawUpstream implements AutoCloseable {

    private static final int FRAME_HEADER_LENGTH = 9;

    private final ServerSocket server;
    private final Http2Headers responseHead;
    private final boolean endStream;
    private final List<String> dataFrames;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    private Http2RawUpstream(ServerSocket server, Http2Headers responseHead, boolean endStream,
                             List<String> dataFrames) {
        this.server = server;
        this.responseHead = responseHead;
        this.endStream = endStream;
        this.dataFrames = dataFrames;
        Thread acceptor = new Thread(this::accept, "h2-raw-upstream-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts the upstream on an ephemeral port; {@code responseHead} must contain {@code :status}. */
    static Http2RawUpstream start(Http2Headers responseHead) {
        return start(responseHead, true, "ok");
    }

    /**
     * Starts the upstream on an ephemeral port. Each response is {@code responseHead} and then one DATA frame for each
     * of {@code dataFrames}. With {@code endStream}, the last frame ends the stream: the DATA frame, or the HEADERS
     * frame when there is none. Without it, the stream stays open and silent after the frames.
     */
    static Http2RawUpstream start(Http2Headers responseHead, boolean endStream, String... dataFrames) {
        try {
            return new Http2RawUpstream(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")), responseHead,
                    endStream, List.of(dataFrames));
        } catch (IOException e) {
            throw new IllegalStateException("the raw HTTP/2 upstream failed to start", e);
        }
    }

    int port() {
        return server.getLocalPort();
    }

    /** Returns how many request heads arrived. */
    int requests() {
        return requests.get();
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
                Thread reader = new Thread(() -> serve(socket), "h2-raw-upstream-connection");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads the client's frames and acknowledges SETTINGS and PING and responds to each request head. */
    private void serve(Socket socket) {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            in.readFully(new byte[Http2Wire.PREFACE.length]);
            write(out, channel, (ctx, frames) -> frames.writeSettings(ctx, new Http2Settings(), ctx.newPromise()),
                    writer);
            byte[] header = new byte[FRAME_HEADER_LENGTH];
            while (true) {
                in.readFully(header);
                int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | header[2] & 0xff;
                byte type = header[3];
                byte flags = header[4];
                int streamId = ((header[5] & 0x7f) << 24) | (header[6] & 0xff) << 16 | (header[7] & 0xff) << 8
                        | header[8] & 0xff;
                byte[] payload = new byte[length];
                in.readFully(payload);
                if (type == Http2FrameTypes.SETTINGS && (flags & Http2Flags.ACK) == 0) {
                    write(out, channel, (ctx, frames) -> frames.writeSettingsAck(ctx, ctx.newPromise()), writer);
                } else if (type == Http2FrameTypes.PING && (flags & Http2Flags.ACK) == 0) {
                    long data = Unpooled.wrappedBuffer(payload).readLong();
                    write(out, channel, (ctx, frames) -> frames.writePing(ctx, true, data, ctx.newPromise()), writer);
                } else if (type == Http2FrameTypes.HEADERS) {
                    requests.incrementAndGet();
                    write(out, channel, (ctx, frames) -> writeResponse(ctx, frames, streamId), writer);
                } else if (type == Http2FrameTypes.GO_AWAY) {
                    return;
                }
            }
        } catch (IOException e) {
            // The gateway closed the connection.
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private void writeResponse(ChannelHandlerContext ctx, DefaultHttp2FrameWriter frames, int streamId) {
        frames.writeHeaders(ctx, streamId, responseHead, 0, endStream && dataFrames.isEmpty(), ctx.newPromise());
        for (int i = 0; i < dataFrames.size(); i++) {
            boolean last = i == dataFrames.size() - 1;
            frames.writeData(ctx, streamId, Unpooled.copiedBuffer(dataFrames.get(i), StandardCharsets.US_ASCII), 0,
                    endStream && last, ctx.newPromise());
        }
    }

    /** Encodes the frames that {@code writes} writes with the connection's own HPACK state, and sends them. */
    private static void write(OutputStream out, EmbeddedChannel channel,
                              BiConsumer<ChannelHandlerContext, DefaultHttp2FrameWriter> writes,
                              DefaultHttp2FrameWriter writer) throws IOException {
        writes.accept(channel.pipeline().firstContext(), writer);
        out.write(Http2Wire.outbound(channel));
        out.flush();
    }
}
