package io.portico.policy.auth.introspection;

import static io.portico.policy.auth.bearer.ConfigFields.bool;
import static io.portico.policy.auth.bearer.ConfigFields.duration;
import static io.portico.policy.auth.bearer.ConfigFields.httpUrl;
import static io.portico.policy.auth.bearer.ConfigFields.optionalText;
import static io.portico.policy.auth.bearer.ConfigFields.requiredScopes;
import static io.portico.policy.auth.bearer.ConfigFields.strings;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.policy.auth.bearer.TokenSource;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The configuration of one {@code oauth-introspection} policy, read and checked once per configuration snapshot.
 *
 * @param url the introspection endpoint of the authorization server (RFC 7662 section 2)
 * @param clientId the id Portico authenticates with at that endpoint
 * @param clientSecret its secret; a secret field of the route, masked in the admin API and exports
 * @param basicAuthentication sends the client credentials with HTTP Basic; as form parameters when false
 * @param timeout limit of one introspection call
 * @param cacheTtl longest time an active result is reused; the token's {@code exp} shortens it
 * @param negativeCacheTtl how long an inactive result is reused
 * @param cacheSize most results kept per endpoint and client
 * @param consumerClaim the claim of the introspection response whose value is the consumer's name
 * @param allowUnknownConsumer accepts an active token whose consumer claim names no consumer
 * @param claims claims copied into the identity for later policies
 * @param scopes scopes the token must all carry
 */
record IntrospectionSettings(
        URI url,
        String clientId,
        String clientSecret,
        boolean basicAuthentication,
        Duration timeout,
        Duration cacheTtl,
        Duration negativeCacheTtl,
        int cacheSize,
        boolean allowPrivateAddresses,
        String consumerClaim,
        boolean allowUnknownConsumer,
        List<String> claims,
        List<String> scopes,
        TokenSource tokenSource,
        boolean optional,
        boolean keepCredential) {

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(5);
    static final Duration DEFAULT_NEGATIVE_CACHE_TTL = Duration.ofSeconds(10);
    static final int DEFAULT_CACHE_SIZE = 10_000;
    private static final int MAX_CACHE_SIZE = 1_000_000;

    private static final Set<String> FIELDS = Set.of("introspectionUrl", "clientId", "clientSecret",
            "clientAuthentication", "timeout", "cacheTtl", "negativeCacheTtl", "cacheSize", "allowPrivateAddresses",
            "consumerClaim", "allowUnknownConsumer", "claims", "scopes", "token", "optional", "keepCredential");

    /** Returns the key under which the policies of one endpoint and client share one client and cache. */
    String cacheKey() {
        return "oauth-introspection " + url + " " + clientId + " " + fingerprint(clientSecret) + " "
                + basicAuthentication + " " + timeout + " " + cacheTtl + " " + negativeCacheTtl + " " + cacheSize + " "
                + allowPrivateAddresses;
    }

    private static String fingerprint(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    /** Reads {@code config}, recording every invalid field in {@code errors}. */
    static IntrospectionSettings parse(ObjectNode config, Errors errors) {
        config.fieldNames().forEachRemaining(name -> errors.check(FIELDS.contains(name), name, "unknown field"));
        String url = optionalText(config, "introspectionUrl", errors);
        errors.required(url, "introspectionUrl");
        URI uri = url == null ? null : httpUrl(url, "introspectionUrl", errors);
        String clientId = optionalText(config, "clientId", errors);
        errors.required(clientId, "clientId");
        String clientSecret = optionalText(config, "clientSecret", errors);
        errors.required(clientSecret, "clientSecret");
        String authentication = config.path("clientAuthentication").asText("basic");
        errors.check(authentication.equals("basic") || authentication.equals("post"), "clientAuthentication",
                "must be basic or post");
        Duration timeout = duration(config, "timeout", DEFAULT_TIMEOUT, errors);
        errors.check(!timeout.isZero() && timeout.compareTo(Duration.ofSeconds(60)) <= 0, "timeout",
                "must be between 1ms and 60s");
        Duration cacheTtl = duration(config, "cacheTtl", DEFAULT_CACHE_TTL, errors);
        Duration negativeCacheTtl = duration(config, "negativeCacheTtl", DEFAULT_NEGATIVE_CACHE_TTL, errors);
        int cacheSize = config.path("cacheSize").asInt(DEFAULT_CACHE_SIZE);
        errors.check(config.path("cacheSize").isMissingNode() || config.get("cacheSize").isInt(), "cacheSize",
                "must be a whole number");
        errors.check(cacheSize >= 1 && cacheSize <= MAX_CACHE_SIZE, "cacheSize", "must be between 1 and 1000000");
        String consumerClaim = optionalText(config, "consumerClaim", errors);
        return new IntrospectionSettings(uri, clientId, clientSecret, authentication.equals("basic"), timeout,
                cacheTtl, negativeCacheTtl, cacheSize, bool(config, "allowPrivateAddresses", false, errors),
                consumerClaim == null ? "client_id" : consumerClaim,
                bool(config, "allowUnknownConsumer", false, errors),
                strings(config.get("claims"), "claims", errors), requiredScopes(config.get("scopes"), errors),
                TokenSource.parse(config.get("token"), errors.at("token")), bool(config, "optional", false, errors),
                bool(config, "keepCredential", false, errors));
    }
}
