package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

/**
 * Node-wide proxy settings.
 *
 * @param requestIdHeader header that carries the request id to the upstream and back to the client
 * @param defaultMaxBodySize largest request body in bytes for routes that set none; negative for no limit
 * @param identityHeaders the headers that carry the authenticated identity to the upstream
 */
public record ProxySettings(String requestIdHeader, long defaultMaxBodySize, IdentityHeaders identityHeaders) {

    public ProxySettings {
        requireNonNull(requestIdHeader, "requestIdHeader");
        requireNonNull(identityHeaders, "identityHeaders");
    }
}
