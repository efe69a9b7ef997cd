package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A request body that fails once more than {@code limit} bytes have passed, for bodies whose length is not
 * declared up front. The bytes up to the limit are passed on as they arrive, so nothing is buffered.
 */
final class LimitedReadStream implements ReadStream<Buffer> {

    private final ReadStream<Buffer> source;
    private final long limit;
    private final Runnable onLimitExceeded;
    private long count;
    private boolean exceeded;
    private Handler<Buffer> handler;

    LimitedReadStream(ReadStream<Buffer> source, long limit, Runnable onLimitExceeded) {
        this.source = requireNonNull(source, "source");
        this.limit = limit;
        this.onLimitExceeded = requireNonNull(onLimitExceeded, "onLimitExceeded");
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> exceptionHandler) {
        source.exceptionHandler(exceptionHandler);
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> dataHandler) {
        this.handler = dataHandler;
        if (dataHandler == null) {
            source.handler(null);
        } else {
            source.handler(this::onData);
        }
        return this;
    }

    private void onData(Buffer data) {
        if (exceeded) {
            return;
        }
        count += data.length();
        if (count > limit) {
            exceeded = true;
            source.pause();
            onLimitExceeded.run();
            return;
        }
        handler.handle(data);
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
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        source.endHandler(endHandler);
        return this;
    }
}
