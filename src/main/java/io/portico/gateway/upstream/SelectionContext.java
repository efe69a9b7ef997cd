package io.portico.gateway.upstream;

import java.util.function.Function;

/**
 * Request attributes that a load balancer may key on. Only {@code consistent-hash} reads them today.
 *
 * @param clientIp the client's IP address, or null when unknown
 * @param consumer the authenticated consumer's name, or null for anonymous requests
 * @param header returns the value of the named request header, or null when absent; may itself be null
 */
public record SelectionContext(String clientIp, String consumer, Function<String, String> header) {

    /** A context with no attributes, for callers whose balancing never hashes. */
    public static final SelectionContext EMPTY = new SelectionContext(null, null, null);

    /** Returns the value of request header {@code name}, or null when it is absent or no headers were given. */
    public String headerValue(String name) {
        return header == null ? null : header.apply(name);
    }
}
