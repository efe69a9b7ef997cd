package io.portico.net.client;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
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
     */
    void start(Channel channel, Runnable written, Handler<Throwable> failed) {
        this.channel = channel;
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
        // A write failure reaches the connection's exceptionCaught through the void promise.
        DefaultHttpContent chunk = new DefaultHttpContent(
                Unpooled.unreleasableBuffer(((BufferInternal) data).getByteBuf()));
        channel.writeAndFlush(chunk, channel.voidPromise());
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
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(write -> {
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
