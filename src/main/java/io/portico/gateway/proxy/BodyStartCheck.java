package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Holds back a response body until its first bytes arrive, so that a stream that ends before any byte is known
 * before the response head reaches the client. {@link ProxyExchange} uses it for HTTP/2 responses that declare a
 * non-zero {@code Content-Length}: RFC 9113 section 8.1.1 makes such a response without a body malformed, and
 * Netty 4.2's HTTP/2 client checks the declared length only once body bytes arrive, because an empty body is valid
 * for a response to HEAD.
 *
 * <p>When the first bytes arrive, the source is paused and handed on as this stream, which delivers those bytes
 * before the rest of the source.
 */
final class BodyStartCheck implements ReadStream<Buffer> {

    private final ReadStream<Buffer> source;
    private Buffer first;
    private Handler<Buffer> handler;
    private boolean paused;

    private BodyStartCheck(ReadStream<Buffer> source, Buffer first) {
        this.source = source;
        this.first = first;
    }

    /**
     * Waits for the first bytes of {@code source}, and then calls exactly one of the callbacks once: {@code started}
     * with the whole body when bytes arrive, {@code endedEmpty} when the source ends without any, or {@code failed}
     * when the source fails first. Empty chunks do not count as bytes.
     */
    static void await(ReadStream<Buffer> source, Handler<ReadStream<Buffer>> started, Runnable endedEmpty,
                      Handler<Throwable> failed) {
        requireNonNull(started, "started");
        requireNonNull(endedEmpty, "endedEmpty");
        requireNonNull(failed, "failed");
        source.exceptionHandler(failed);
        source.endHandler(end -> endedEmpty.run());
        source.handler(data -> {
            if (data.length() == 0) {
                return;
            }
            // A paused source queues what follows, its end included, until the consumer requests more.
            source.pause();
            source.handler(null);
            source.endHandler(null);
            source.exceptionHandler(null);
            started.handle(new BodyStartCheck(source, data));
        });
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> exceptionHandler) {
        source.exceptionHandler(exceptionHandler);
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> dataHandler) {
        handler = dataHandler;
        source.handler(dataHandler);
        if (!paused) {
            deliverFirst();
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        paused = true;
        source.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        paused = false;
        if (first != null) {
            deliverFirst();
        } else {
            source.resume();
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        long remaining = amount;
        if (remaining > 0 && first != null && handler != null) {
            Buffer data = first;
            first = null;
            handler.handle(data);
            remaining--;
        }
        if (remaining > 0) {
            source.fetch(remaining);
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        source.endHandler(endHandler);
        return this;
    }

    /** Hands the held bytes to the handler, then lets the source flow unless the handler paused this stream. */
    private void deliverFirst() {
        if (first == null || handler == null) {
            return;
        }
        Buffer data = first;
        first = null;
        handler.handle(data);
        if (!paused) {
            source.resume();
        }
    }
}
