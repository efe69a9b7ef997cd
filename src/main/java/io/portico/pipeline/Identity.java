package io.portico.pipeline;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * Who sent a request, as established by an authentication policy.
 *
 * @param consumer the consumer's name
 * @param team the team that owns the consumer
 * @param credential the name of the credential that was presented; null when the consumer was found another
 *     way, such as a token claim naming it directly
 * @param method the authentication method, such as {@code key-auth} or {@code jwt}
 * @param labels the consumer's labels
 * @param claims the claims of a validated token; empty for other methods
 */
public record Identity(String consumer, String team, String credential, String method, Map<String, String> labels,
                       Map<String, Object> claims) {

    public Identity {
        requireNonNull(consumer, "consumer");
        requireNonNull(method, "method");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        claims = claims == null ? Map.of() : claims;
    }
}
