package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.portico.pipeline.ResponseTap;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A response body that hands each piece to a {@link ResponseTap} before passing it on. The tap learns of the end
 * before the end handler runs, so it receives a complete body before the client's response is ended.
 */
final class TappedReadStream implements ReadStream<Buffer> {

    private final ReadStream<Buffer> source;
    private final ResponseTap tap;
    private boolean ended;

    TappedReadStream(ReadStream<Buffer> source, ResponseTap tap) {
        this.source = requireNonNull(source, "source");
        this.tap = requireNonNull(tap, "tap");
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        source.exceptionHandler(handler);
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        if (handler == null) {
            source.handler(null);
        } else {
            source.handler(data -> {
                tap.chunk(data);
                handler.handle(data);
            });
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        source.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        source.resume();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        source.fetch(amount);
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> handler) {
        if (handler == null) {
            source.endHandler(null);
        } else {
            source.endHandler(end -> {
                ended = true;
                tap.end();
                handler.handle(end);
            });
        }
        return this;
    }

    /** Tells the tap that the response was abandoned, unless the whole body had arrived. */
    void abort() {
        if (!ended) {
            ended = true;
            tap.abort();
        }
    }
}
