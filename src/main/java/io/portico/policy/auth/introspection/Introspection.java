package io.portico.policy.auth.introspection;

import java.time.Instant;
import java.util.Map;

/**
 * The authorization server's result for one token (RFC 7662 section 2.2).
 *
 * @param active whether the token is active
 * @param claims the members of the response, such as {@code scope}, {@code client_id}, {@code sub} and {@code exp}
 * @param expiresAt the token's {@code exp}; null when the response has none
 */
record Introspection(boolean active, Map<String, Object> claims, Instant expiresAt) {

    static final Introspection INACTIVE = new Introspection(false, Map.of(), null);
}
