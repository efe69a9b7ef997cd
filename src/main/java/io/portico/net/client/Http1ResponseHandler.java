package io.portico.net.client;

/** Receives the outcome of a request sent with {@link Http1Client#send}, on the calling event loop. */
public interface Http1ResponseHandler {

    /**
     * Called when a connection took the request and writes it, before any response can arrive. An idempotent
     * request that a kept-alive connection failed to carry is sent again on a new connection, and this is then called
     * again.
     */
    default void sent(Http1Exchange exchange) {
    }

    /**
     * Called when the response's status line and headers arrived. Set the exchange's content, end and exception
     * handlers (or its body handler) before returning, because content may follow at once.
     */
    void response(Http1Exchange exchange);

    /** Called when the request failed before a response arrived: no connection, a send failure, or a timeout. */
    void failed(Throwable cause);
}
