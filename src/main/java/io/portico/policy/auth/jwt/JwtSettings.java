package io.portico.policy.auth.jwt;

import static io.portico.policy.auth.bearer.ConfigFields.bool;
import static io.portico.policy.auth.bearer.ConfigFields.duration;
import static io.portico.policy.auth.bearer.ConfigFields.httpUrl;
import static io.portico.policy.auth.bearer.ConfigFields.optionalText;
import static io.portico.policy.auth.bearer.ConfigFields.requiredScopes;
import static io.portico.policy.auth.bearer.ConfigFields.strings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import io.portico.config.Errors;
import io.portico.jose.JwsAlgorithms;
import io.portico.jose.KeySet;
import io.portico.jose.PublicKeyPem;
import io.portico.jose.VerificationKey;
import io.portico.policy.auth.bearer.TokenSource;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The configuration of one {@code jwt} policy, read and checked once per configuration snapshot.
 *
 * @param algorithms the accepted algorithms; empty when only Portico's own issuers are trusted, whose algorithm
 *     their {@code oauth} route fixes
 * @param issuers accepted {@code iss} values; any when empty
 * @param audiences accepted {@code aud} values, one of which the token must carry; any when empty
 * @param keys the inline keys
 * @param jwks the key set URL and its fetch settings; null when none
 * @param clockSkew tolerance applied to {@code exp}, {@code nbf} and {@code iat}
 * @param requireExpiration rejects tokens without {@code exp}
 * @param maxTokenAge rejects tokens whose {@code iat} is older; null for no limit
 * @param consumerClaim the claim whose value is the consumer's name; null to map through {@code jwt} credentials
 * @param allowUnknownConsumer accepts a valid token whose consumer claim names no consumer
 * @param claims claims copied into the identity for later policies
 * @param scopes scopes the token must all carry
 */
record JwtSettings(
        Set<JWSAlgorithm> algorithms,
        List<String> issuers,
        List<String> audiences,
        KeySet keys,
        Jwks jwks,
        Duration clockSkew,
        boolean requireExpiration,
        Duration maxTokenAge,
        String consumerClaim,
        boolean allowUnknownConsumer,
        List<String> claims,
        List<String> scopes,
        TokenSource tokenSource,
        boolean optional,
        boolean keepCredential) {

    static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    static final Duration DEFAULT_JWKS_REFRESH = Duration.ofMinutes(5);
    static final Duration DEFAULT_JWKS_MIN_REFRESH = Duration.ofSeconds(30);
    static final Duration DEFAULT_JWKS_TIMEOUT = Duration.ofSeconds(5);
    static final Duration MAX_JWKS_TIMEOUT = Duration.ofSeconds(60);

    private static final Set<String> FIELDS = Set.of("algorithms", "issuer", "audience", "keys", "jwksUrl",
            "jwksRefreshInterval", "jwksMinRefreshInterval", "jwksTimeout", "allowPrivateAddresses", "clockSkew",
            "requireExpiration", "maxTokenAge", "consumerClaim", "allowUnknownConsumer", "claims", "scopes", "token",
            "optional", "keepCredential");

    /**
     * The location of a key set and its fetch settings.
     *
     * @param refreshInterval age after which a request triggers a refresh in the background
     * @param minRefreshInterval least time between two fetches, so tokens with unknown key ids cannot cause one
     *     fetch per request
     * @param timeout limit of one fetch, which requests waiting for the first key set share
     * @param allowPrivateAddresses allows a URL whose host is a loopback, private or link-local address
     */
    record Jwks(URI url, Duration refreshInterval, Duration minRefreshInterval, Duration timeout,
                boolean allowPrivateAddresses) {

        /** Returns the key under which policies with equal settings share one cache on a node. */
        String cacheKey() {
            return "jwt.jwks " + url + " " + refreshInterval + " " + minRefreshInterval + " " + timeout + " "
                    + allowPrivateAddresses;
        }
    }

    /** Reads {@code config}, recording every invalid field in {@code errors}. */
    static JwtSettings parse(ObjectNode config, Errors errors) {
        config.fieldNames().forEachRemaining(name -> errors.check(FIELDS.contains(name), name, "unknown field"));
        Set<JWSAlgorithm> algorithms = algorithms(config.get("algorithms"), errors);
        KeySet keys = keys(config.get("keys"), algorithms, errors.at("keys"));
        Jwks jwks = jwks(config, errors);
        if (algorithms.isEmpty() && (!keys.isEmpty() || jwks != null)) {
            errors.add("algorithms", "is required with keys or jwksUrl: list the algorithms the keys sign with");
        }
        Duration clockSkew = duration(config, "clockSkew", DEFAULT_CLOCK_SKEW, errors);
        errors.check(clockSkew.compareTo(MAX_CLOCK_SKEW) <= 0, "clockSkew", "must be at most 5m");
        Duration maxTokenAge = config.hasNonNull("maxTokenAge") ? duration(config, "maxTokenAge", null, errors) : null;
        String consumerClaim = optionalText(config, "consumerClaim", errors);
        boolean allowUnknown = bool(config, "allowUnknownConsumer", false, errors);
        errors.check(!allowUnknown || consumerClaim != null, "allowUnknownConsumer", "requires consumerClaim");
        List<String> scopes = requiredScopes(config.get("scopes"), errors);
        return new JwtSettings(algorithms, strings(config.get("issuer"), "issuer", errors),
                strings(config.get("audience"), "audience", errors), keys, jwks, clockSkew,
                bool(config, "requireExpiration", true, errors), maxTokenAge, consumerClaim, allowUnknown,
                strings(config.get("claims"), "claims", errors), scopes,
                TokenSource.parse(config.get("token"), errors.at("token")), bool(config, "optional", false, errors),
                bool(config, "keepCredential", false, errors));
    }

    private static Set<JWSAlgorithm> algorithms(JsonNode node, Errors errors) {
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        List<String> names = strings(node, "algorithms", errors);
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String field = "algorithms[" + i + "]";
            if (name.toLowerCase(Locale.ROOT).equals("none")) {
                errors.add(field, "'none' is never accepted: unsigned tokens prove nothing");
                continue;
            }
            JwsAlgorithms.find(name).ifPresentOrElse(algorithms::add, () -> errors.add(field,
                    "unsupported algorithm '" + name + "'; supported: " + String.join(", ", JwsAlgorithms.names())));
        }
        return algorithms;
    }

    private static KeySet keys(JsonNode node, Set<JWSAlgorithm> algorithms, Errors errors) {
        if (node == null || node.isNull()) {
            return KeySet.empty();
        }
        if (!node.isArray()) {
            errors.add("", "must be a list of keys, each with secret, pem or jwk");
            return KeySet.empty();
        }
        List<VerificationKey> keys = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            Errors at = errors.at("", i);
            try {
                VerificationKey key = key(node.get(i), at);
                if (key == null) {
                    continue;
                }
                if (!algorithms.isEmpty() && algorithms.stream().noneMatch(key::supports)) {
                    at.add("", "no algorithm in algorithms can use this key (it can verify " + names(key) + ")");
                }
                keys.add(key);
            } catch (IllegalArgumentException e) {
                at.add("", e.getMessage());
            }
        }
        return KeySet.of(keys);
    }

    private static String names(VerificationKey key) {
        return String.join(", ", key.algorithms().stream().map(JWSAlgorithm::getName).sorted().toList());
    }

    private static VerificationKey key(JsonNode entry, Errors errors) {
        if (!entry.isObject()) {
            errors.add("", "must be an object with secret, pem or jwk");
            return null;
        }
        entry.fieldNames().forEachRemaining(name -> errors.check(List.of("kid", "secret", "pem", "jwk")
                .contains(name), name, "unknown field; expected kid, secret, pem or jwk"));
        String kid = entry.hasNonNull("kid") ? entry.get("kid").asText() : null;
        int sources = (entry.hasNonNull("secret") ? 1 : 0) + (entry.hasNonNull("pem") ? 1 : 0)
                + (entry.hasNonNull("jwk") ? 1 : 0);
        if (sources != 1) {
            errors.add("", "must have exactly one of secret, pem or jwk");
            return null;
        }
        if (entry.hasNonNull("secret")) {
            // Errors about the secret name the secret's own field, so that a document validated without the store
            // can ignore them when the field carries a masked hint.
            try {
                return VerificationKey.hmac(kid, entry.get("secret").asText());
            } catch (IllegalArgumentException e) {
                errors.add("secret", e.getMessage());
                return null;
            }
        }
        if (entry.hasNonNull("pem")) {
            return VerificationKey.of(PublicKeyPem.parse(entry.get("pem").asText(), kid));
        }
        return jwk(entry.get("jwk"), kid, errors);
    }

    private static VerificationKey jwk(JsonNode node, String kid, Errors errors) {
        if (!node.isObject()) {
            errors.add("jwk", "must be a JWK object");
            return null;
        }
        JWK jwk;
        try {
            jwk = JWK.parse(node.toString());
        } catch (ParseException e) {
            errors.add("jwk", "is not a valid JWK: " + e.getMessage());
            return null;
        }
        if (jwk.isPrivate() && !"oct".equals(jwk.getKeyType().getValue())) {
            errors.add("jwk", "contains a private key; give only the public key");
            return null;
        }
        if (kid != null && jwk.getKeyID() != null && !kid.equals(jwk.getKeyID())) {
            errors.add("kid", "differs from the JWK's kid");
        }
        VerificationKey key;
        try {
            key = VerificationKey.of(jwk);
        } catch (IllegalArgumentException e) {
            // The only secret of a JWK is the key value k of a symmetric key, which may be a masked hint.
            errors.add("oct".equals(jwk.getKeyType().getValue()) ? "jwk.k" : "jwk", e.getMessage());
            return null;
        }
        return kid == null || jwk.getKeyID() != null ? key : VerificationKey.of(withKeyId(node, kid));
    }

    private static JWK withKeyId(JsonNode node, String kid) {
        try {
            return JWK.parse(((ObjectNode) node.deepCopy()).put("kid", kid).toString());
        } catch (ParseException e) {
            throw new IllegalArgumentException("is not a valid JWK: " + e.getMessage(), e);
        }
    }

    private static Jwks jwks(ObjectNode config, Errors errors) {
        String url = optionalText(config, "jwksUrl", errors);
        boolean allowPrivate = bool(config, "allowPrivateAddresses", false, errors);
        Duration refresh = duration(config, "jwksRefreshInterval", DEFAULT_JWKS_REFRESH, errors);
        Duration minRefresh = duration(config, "jwksMinRefreshInterval", DEFAULT_JWKS_MIN_REFRESH, errors);
        Duration timeout = duration(config, "jwksTimeout", DEFAULT_JWKS_TIMEOUT, errors);
        errors.check(refresh.compareTo(Duration.ofSeconds(1)) >= 0, "jwksRefreshInterval", "must be at least 1s");
        errors.check(minRefresh.compareTo(Duration.ofSeconds(1)) >= 0, "jwksMinRefreshInterval",
                "must be at least 1s");
        errors.check(!timeout.isNegative() && !timeout.isZero() && timeout.compareTo(MAX_JWKS_TIMEOUT) <= 0,
                "jwksTimeout", "must be between 1ms and 60s");
        if (url == null) {
            return null;
        }
        URI uri = httpUrl(url, "jwksUrl", errors);
        return uri == null ? null : new Jwks(uri, refresh, minRefresh, timeout, allowPrivate);
    }
}
