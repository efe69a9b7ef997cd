package io.portico.ai.provider;

import io.portico.net.client.ResponseTooLargeException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/** Collects response bodies of Vert.x's HTTP client up to a size limit. */
public final class BoundedBodies {

    private BoundedBodies() {
    }

    /**
     * Collects the body of {@code response} up to {@code maxBytes}. Beyond it the request is reset, and the future
     * fails with {@link ResponseTooLargeException}, or with {@code keepStart} returns the first {@code maxBytes},
     * which is enough for the message of an error body.
     */
    public static Future<Buffer> collect(HttpClientResponse response, long maxBytes, boolean keepStart) {
        Promise<Buffer> body = Promise.promise();
        Buffer collected = Buffer.buffer();
        response.handler(chunk -> {
            if (body.future().isComplete()) {
                return;
            }
            if (collected.length() + (long) chunk.length() > maxBytes) {
                if (keepStart) {
                    collected.appendBuffer(chunk, 0, (int) (maxBytes - collected.length()));
                    body.tryComplete(collected);
                } else {
                    body.tryFail(new ResponseTooLargeException(maxBytes));
                }
                response.request().reset();
                return;
            }
            collected.appendBuffer(chunk);
        });
        response.exceptionHandler(body::tryFail);
        response.endHandler(end -> body.tryComplete(collected));
        return body.future();
    }
}
