package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.portico.net.client.Http1Exchange;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.ReadStream;

/**
 * Streams a response body from the upstream to the client with back-pressure, and reports once when the body is
 * relayed or the relay failed. Does what {@code source.pipe().endOnFailure(false).to(out)} does, with one object
 * per response instead of a pipe, its promises and a listener per chunk.
 *
 * <p>The relay fails when the source fails or a write to the client fails; the client response is then left
 * open for the caller to reset. A failed write fails it with {@link ClientWriteFailed}, so the caller can tell a
 * client that went away from a broken upstream. It succeeds once the client response has ended.
 */
final class BodyRelay implements Handler<AsyncResult<Void>> {

    private final ReadStream<Buffer> source;
    private final HttpServerResponse out;
    private final Handler<AsyncResult<Void>> done;
    private boolean completed;

    private BodyRelay(ReadStream<Buffer> source, HttpServerResponse out, Handler<AsyncResult<Void>> done) {
        this.source = requireNonNull(source, "source");
        this.out = requireNonNull(out, "out");
        this.done = requireNonNull(done, "done");
    }

    /** Starts relaying {@code source} to {@code out}. Calls {@code done} once, when the relay succeeds or fails. */
    static void start(ReadStream<Buffer> source, HttpServerResponse out, Handler<AsyncResult<Void>> done) {
        BodyRelay relay = new BodyRelay(source, out, done);
        source.exceptionHandler(relay::fail);
        source.endHandler(relay::onEnd);
        if (source instanceof Http1Exchange exchange) {
            exchange.lastContentHandler(relay::onLast);
        }
        source.handler(relay::onData);
    }

    private void onData(Buffer data) {
        out.write(data).onComplete(this);
        if (out.writeQueueFull()) {
            source.pause();
            out.drainHandler(drained -> source.resume());
        }
    }

    private void onEnd(Void end) {
        out.end().onComplete(this::onEnded);
    }

    /** Writes the last piece of the body and ends the response in one write, which also carries an unsent head. */
    private void onLast(Buffer data) {
        out.end(data).onComplete(this::onEnded);
    }

    private void onEnded(AsyncResult<Void> ended) {
        complete(ended.succeeded() ? Future.succeededFuture()
                : Future.failedFuture(new ClientWriteFailed(ended.cause())));
    }

    /** Receives the result of each write to the client. */
    @Override
    public void handle(AsyncResult<Void> written) {
        if (written.failed()) {
            fail(new ClientWriteFailed(written.cause()));
        }
    }

    private void fail(Throwable cause) {
        if (completed) {
            return;
        }
        source.handler(null);
        source.exceptionHandler(null);
        source.endHandler(null);
        if (source instanceof Http1Exchange exchange) {
            exchange.lastContentHandler(null);
        }
        complete(Future.failedFuture(cause));
    }

    private void complete(AsyncResult<Void> result) {
        if (!completed) {
            completed = true;
            done.handle(result);
        }
    }

    /** The failure of a relay whose write to the client failed, for example because the client closed. */
    static final class ClientWriteFailed extends RuntimeException {

        private static final long serialVersionUID = 1L;

        ClientWriteFailed(Throwable cause) {
            super("writing the response to the client failed", cause, false, false);
        }
    }
}
