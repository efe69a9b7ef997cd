package io.portico.pipeline;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * Observes a proxied response while the proxy streams it to the client, for policies such as a response cache.
 * The proxy calls {@link #head} once, then {@link #chunk} for each piece of the body unless {@code head} returned
 * false, then exactly one of {@link #end} and {@link #abort}. All calls run on the request's event loop.
 */
public interface ResponseTap {

    /**
     * Receives the status and the headers about to be sent: the upstream's, without hop-by-hop headers, after the
     * route's header operations, before the request id and the response header hooks. The tap may add headers.
     *
     * @return whether the tap wants the body
     */
    boolean head(int status, MultiMap headers);

    /** Receives the next piece of the body, which the proxy also sends to the client. */
    void chunk(Buffer data);

    /** Receives the end of the body: the whole body arrived, and the proxy is about to end the client's response. */
    void end();

    /** The response failed or was abandoned before its end. */
    void abort();
}
