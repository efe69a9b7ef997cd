package io.portico.net.client;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;

/**
 * A request body that streams from a {@link ReadStream} to a connection. The stream is paused while the channel
 * is not writable and resumed when it drains, so a fast sender cannot fill the gateway's memory. Everything runs on
 * the connection's event loop, which is also the stream's.
 */
final class StreamedBody {

    private final ReadStream<Buffer> source;
    private Channel channel;
    private boolean chunked;
    private Runnable written;
    private Handler<Throwable> failed;
    private boolean paused;
    private boolean done;

    StreamedBody(ReadStream<Buffer> source) {
        this.source = requireNonNull(source, "source");
    }

    /**
     * Starts writing the body to {@code channel} after the request head. Runs {@code written} once the last chunk
     * was written, or {@code failed} when the source fails.
     *
     * @param chunked true to frame the body with chunked transfer coding, false to send it as it is, for a request
     *                with a Content-Length
     */
    void start(Channel channel, boolean chunked, Runnable written, Handler<Throwable> failed) {
        this.channel = channel;
        this.chunked = chunked;
        this.written = written;
        this.failed = failed;
        source.exceptionHandler(this::onFailure);
        source.endHandler(end -> onEnd());
        source.handler(this::onData);
        source.resume();
    }

    private void onData(Buffer data) {
        if (done) {
            return;
        }
        ByteBuf bytes = Unpooled.unreleasableBuffer(((BufferInternal) data).getByteBuf());
        if (!bytes.isReadable()) {
            // An empty chunk would end a chunked body.
            return;
        }
        // A write failure reaches the connection's exceptionCaught through the void promise.
        if (chunked) {
            channel.write(RequestWriter.chunkSize(channel.alloc(), bytes.readableBytes()), channel.voidPromise());
            channel.write(bytes, channel.voidPromise());
            channel.writeAndFlush(RequestWriter.chunkEnd(), channel.voidPromise());
        } else {
            channel.writeAndFlush(bytes, channel.voidPromise());
        }
        if (!channel.isWritable()) {
            paused = true;
            source.pause();
        }
    }

    private void onEnd() {
        if (done) {
            return;
        }
        done = true;
        ByteBuf end = chunked ? RequestWriter.lastChunk() : Unpooled.EMPTY_BUFFER;
        channel.writeAndFlush(end).addListener(write -> {
            if (write.isSuccess()) {
                written.run();
            }
        });
    }

    private void onFailure(Throwable cause) {
        if (!done) {
            detach();
            failed.handle(cause);
        }
    }

    /** Resumes the source when the channel became writable again. */
    void writabilityChanged() {
        if (paused && !done && channel.isWritable()) {
            paused = false;
            source.resume();
        }
    }

    /** Stops reading the source, because the exchange ended or failed before the body was written whole. */
    void detach() {
        if (done) {
            return;
        }
        done = true;
        source.handler(null);
        source.exceptionHandler(null);
        source.endHandler(null);
    }
}
