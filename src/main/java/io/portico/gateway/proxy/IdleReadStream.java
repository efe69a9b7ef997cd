package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.function.Consumer;

/**
 * A request or response body that calls {@code onIdle} when no data arrives for {@code timeoutMillis} while the
 * stream is not paused. One timer per stream re-arms itself only when it fires, so the cost does not grow with the
 * number of chunks.
 */
final class IdleReadStream implements ReadStream<Buffer> {

    private final ReadStream<Buffer> source;
    private final long timeoutMillis;
    private final Vertx vertx;
    private final Runnable onIdle;
    private long lastDataNanos = System.nanoTime();
    private long pausedSinceNanos;
    private long timer = -1;
    private boolean paused;
    private boolean ended;
    private Handler<Buffer> handler;
    private Runnable onEnd;
    private Consumer<Throwable> onFailure;

    IdleReadStream(ReadStream<Buffer> source, long timeoutMillis, Vertx vertx, Runnable onIdle) {
        this.source = requireNonNull(source, "source");
        this.timeoutMillis = timeoutMillis;
        this.vertx = requireNonNull(vertx, "vertx");
        this.onIdle = requireNonNull(onIdle, "onIdle");
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> exceptionHandler) {
        if (exceptionHandler == null) {
            source.exceptionHandler(null);
        } else {
            source.exceptionHandler(cause -> {
                ended = true;
                cancel();
                if (onFailure != null) {
                    onFailure.accept(cause);
                }
                exceptionHandler.handle(cause);
            });
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> dataHandler) {
        this.handler = dataHandler;
        if (dataHandler == null) {
            source.handler(null);
            cancel();
        } else {
            source.handler(this::onData);
            arm(timeoutMillis);
        }
        return this;
    }

    /** Calls {@code onEnd} when the source ends, before the end handler. */
    void whenEnded(Runnable onEnd) {
        this.onEnd = onEnd;
    }

    /**
     * Calls {@code onFailure} when the source fails, before the exception handler. Only a reader that has set an
     * exception handler learns of the failure.
     */
    void whenFailed(Consumer<Throwable> onFailure) {
        this.onFailure = onFailure;
    }

    /** Returns true once the source has ended, has failed or has been silent for the timeout. */
    boolean ended() {
        return ended;
    }

    /** Returns how long the receiving side has held the stream paused, in milliseconds; 0 when it is not paused. */
    long pausedMillis() {
        return paused ? (System.nanoTime() - pausedSinceNanos) / 1_000_000 : 0;
    }

    private void onData(Buffer data) {
        lastDataNanos = System.nanoTime();
        handler.handle(data);
    }

    private void arm(long delayMillis) {
        if (timer < 0 && !ended) {
            timer = vertx.setTimer(Math.max(1, delayMillis), id -> onTimer());
        }
    }

    private void onTimer() {
        timer = -1;
        if (ended) {
            return;
        }
        long silentMillis = (System.nanoTime() - lastDataNanos) / 1_000_000;
        // Time spent paused is back-pressure from the receiving side, not silence from the sending side.
        if (paused || silentMillis < timeoutMillis) {
            arm(paused ? timeoutMillis : timeoutMillis - silentMillis);
            return;
        }
        ended = true;
        onIdle.run();
    }

    private void cancel() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    @Override
    public ReadStream<Buffer> pause() {
        if (!paused) {
            pausedSinceNanos = System.nanoTime();
        }
        paused = true;
        source.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        paused = false;
        lastDataNanos = System.nanoTime();
        source.resume();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        paused = false;
        lastDataNanos = System.nanoTime();
        source.fetch(amount);
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        if (endHandler == null) {
            source.endHandler(null);
        } else {
            source.endHandler(end -> {
                ended = true;
                cancel();
                if (onEnd != null) {
                    onEnd.run();
                }
                endHandler.handle(end);
            });
        }
        return this;
    }
}
