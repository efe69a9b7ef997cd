package io.portico.ai.client;

/** Receives the outcome of a request sent with {@link ProviderClient#send}, on the calling event loop. */
public interface ProviderResponseHandler {

    /**
     * Called when the response's status line and headers arrived. Set the exchange's content, end and exception
     * handlers (or its body handler) before returning, because content may follow at once.
     */
    void response(ProviderExchange exchange);

    /** Called when the request failed before a response arrived: no connection, a send failure, or a timeout. */
    void failed(Throwable cause);
}
