package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.portico.net.IpRangeSet;

/**
 * Node-wide proxy settings.
 *
 * @param requestIdHeader header that carries the request id to the upstream and back to the client
 * @param defaultMaxBodySize largest request body in bytes for routes that set none; negative for no limit
 * @param identityHeaders the headers that carry the authenticated identity to the upstream
 * @param bodyTimeoutMillis longest wait for the next bytes of a request body while it is read, in milliseconds
 * @param underscoreAliases the client headers dropped because they spell a header Portico sets with {@code _}
 * @param trustedProxies the peers whose {@code X-Forwarded-Proto}, {@code X-Forwarded-Host} and
 *     {@code X-Forwarded-Port} are passed on
 */
public record ProxySettings(String requestIdHeader, long defaultMaxBodySize, IdentityHeaders identityHeaders,
                            long bodyTimeoutMillis, UnderscoreAliases underscoreAliases, IpRangeSet trustedProxies) {

    public ProxySettings {
        requireNonNull(requestIdHeader, "requestIdHeader");
        requireNonNull(identityHeaders, "identityHeaders");
        requireNonNull(underscoreAliases, "underscoreAliases");
        requireNonNull(trustedProxies, "trustedProxies");
    }
}
