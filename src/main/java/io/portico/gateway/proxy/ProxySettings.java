package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

/**
 * Node-wide proxy settings.
 *
 * @param requestIdHeader header that carries the request id to the upstream and back to the client
 * @param defaultMaxBodySize largest request body in bytes for routes that set none; negative for no limit
 * @param identityHeaders the headers that carry the authenticated identity to the upstream
 * @param bodyTimeoutMillis longest wait for the next bytes of a request body while it is read, in milliseconds
 */
public record ProxySettings(String requestIdHeader, long defaultMaxBodySize, IdentityHeaders identityHeaders,
                            long bodyTimeoutMillis) {

    public ProxySettings {
        requireNonNull(requestIdHeader, "requestIdHeader");
        requireNonNull(identityHeaders, "identityHeaders");
    }
}
