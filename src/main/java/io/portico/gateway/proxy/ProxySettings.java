package io.portico.gateway.proxy;

/**
 * Node-wide proxy settings.
 *
 * @param requestIdHeader header that carries the request id to the upstream and back to the client
 * @param defaultMaxBodySize largest request body in bytes for routes that set none; negative for no limit
 * @param bodyTimeoutMillis longest wait for the next bytes of a request body while it is read, in milliseconds
 */
public record ProxySettings(String requestIdHeader, long defaultMaxBodySize, long bodyTimeoutMillis) {
}
