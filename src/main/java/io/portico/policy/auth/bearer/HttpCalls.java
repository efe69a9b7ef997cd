package io.portico.policy.auth.bearer;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** Calls of the token policies to key set and introspection endpoints, bounded in time and size. */
public final class HttpCalls {

    private HttpCalls() {
    }

    /**
     * Sends a request and returns the body of a 200 response; fails on another status, a body larger than
     * {@code maxBytes}, or no complete response within {@code timeout}.
     *
     * @param body the request body; null for none
     */
    public static Future<Buffer> send(Vertx vertx, HttpClient client, RequestOptions options, String body,
                                      Duration timeout, int maxBytes) {
        Promise<Buffer> result = Promise.promise();
        long timer = vertx.setTimer(timeout.toMillis(), id -> result.tryFail(
                new TimeoutException("no response after " + timeout.toMillis() + " ms")));
        options.setIdleTimeout(timeout.toMillis());
        client.request(options).compose(request -> body == null ? request.send() : request.send(body))
                .onComplete(sent -> {
                    if (sent.failed()) {
                        result.tryFail(sent.cause());
                    } else {
                        read(sent.result(), maxBytes, result);
                    }
                });
        return result.future().onComplete(done -> vertx.cancelTimer(timer));
    }

    private static void read(HttpClientResponse response, int maxBytes, Promise<Buffer> result) {
        if (response.statusCode() != 200) {
            response.end();
            result.tryFail(new IllegalStateException("status " + response.statusCode()));
            return;
        }
        Buffer received = Buffer.buffer();
        response.handler(chunk -> {
            if (received.length() + chunk.length() > maxBytes) {
                result.tryFail(new IllegalStateException("the response is larger than " + maxBytes + " bytes"));
                response.request().reset();
                return;
            }
            received.appendBuffer(chunk);
        });
        response.exceptionHandler(result::tryFail);
        response.endHandler(end -> result.tryComplete(received));
    }
}
