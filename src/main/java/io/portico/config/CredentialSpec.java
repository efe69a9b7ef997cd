package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * A credential of a consumer. Its {@code type} says which fields apply:
 *
 * <ul>
 *   <li>{@code key-auth}: {@code keyHash}, the SHA-256 of the API key in lower-case hex, and {@code keyHint}, a
 *       non-secret prefix shown in listings. A {@code key} written through the admin API or a declarative
 *       document is replaced by its hash before it is stored.</li>
 *   <li>{@code basic-auth}: {@code username} and {@code passwordHash}, a bcrypt hash; a {@code password}
 *       written is replaced by its hash before it is stored.</li>
 *   <li>{@code hmac}: {@code accessKey} and {@code secretKey}, the shared key of the request signature.</li>
 *   <li>{@code jwt}: {@code issuer} and {@code subject} (either may be absent) that a validated token's
 *       {@code iss} and {@code sub} claims must equal, and for tokens signed per consumer a {@code secret}
 *       (HMAC algorithms) or {@code publicKey} (PEM).</li>
 *   <li>{@code mtls}: {@code subject}, the client certificate's subject distinguished name, or
 *       {@code fingerprint}, the SHA-256 of its DER encoding in hex.</li>
 *   <li>{@code oauth-client}: {@code clientId} and {@code clientSecretHash}, a bcrypt hash, for the
 *       client-credentials grant of Portico's authorization server, and the {@code scopes} the client may request.
 *       A {@code clientSecret} written is replaced by its hash before it is stored.</li>
 * </ul>
 *
 * <p>{@link CredentialSecrets} computes the stored forms.
 *
 * @param name the credential's unique name
 * @param consumer the consumer the credential identifies
 * @param type one of {@link #TYPES}
 * @param disabled rejects the credential while true
 * @param expiresAt the instant from which the credential is rejected; never when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CredentialSpec(
        String name,
        @Required String consumer,
        @Required String type,
        Boolean disabled,
        Instant expiresAt,
        String key,
        String keyHash,
        String keyHint,
        String username,
        String password,
        String passwordHash,
        String accessKey,
        String secretKey,
        String issuer,
        String subject,
        String secret,
        String publicKey,
        String fingerprint,
        String clientId,
        String clientSecret,
        String clientSecretHash,
        List<String> scopes) {

    /** Shortest API key or HMAC secret key accepted. */
    public static final int MIN_SECRET_LENGTH = 16;
    private static final int MAX_KEY_LENGTH = 512;

    public static final Set<String> TYPES = Set.of("key-auth", "basic-auth", "hmac", "jwt", "mtls", "oauth-client");

    /** The fields each type may carry besides name, consumer, type, disabled and expiresAt. */
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "key-auth", Set.of("key", "keyHash", "keyHint"),
            "basic-auth", Set.of("username", "password", "passwordHash"),
            "hmac", Set.of("accessKey", "secretKey"),
            "jwt", Set.of("issuer", "subject", "secret", "publicKey"),
            "mtls", Set.of("subject", "fingerprint"),
            "oauth-client", Set.of("clientId", "clientSecret", "clientSecretHash", "scopes"));

    public CredentialSpec {
        disabled = disabled != null && disabled;
        scopes = scopes == null ? null : List.copyOf(scopes);
    }

    /** Returns true when the credential is enabled and not expired at {@code now}. */
    public boolean validAt(Instant now) {
        return !disabled && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** Records every invalid field of this credential into {@code errors}. */
    public void validate(Errors errors) {
        Names.validate(errors, name);
        errors.required(consumer, "consumer");
        Names.validateReference(errors, "consumer", consumer);
        errors.required(type, "type");
        if (type == null) {
            return;
        }
        Set<String> allowed = FIELDS.get(type);
        if (allowed == null) {
            errors.add("type", "must be one of key-auth, basic-auth, hmac, jwt, mtls or oauth-client");
            return;
        }
        present().forEach((field, value) -> errors.check(allowed.contains(field), field,
                "does not apply to a credential of type " + type));
        switch (type) {
            case "key-auth" -> validateKey(errors);
            case "basic-auth" -> validateBasic(errors);
            case "hmac" -> {
                errors.required(accessKey, "accessKey");
                errors.required(secretKey, "secretKey");
                errors.check(secretKey == null || secretKey.length() >= MIN_SECRET_LENGTH, "secretKey",
                        "must be at least " + MIN_SECRET_LENGTH + " characters");
            }
            case "jwt" -> errors.check(issuer != null || subject != null, "issuer",
                    "is required unless subject is given");
            case "mtls" -> validateMtls(errors);
            case "oauth-client" -> {
                errors.required(clientId, "clientId");
                errors.check(clientSecret != null || clientSecretHash != null, "clientSecret",
                        "is required (or clientSecretHash)");
            }
            default -> throw new IllegalStateException("unhandled credential type " + type);
        }
    }

    private void validateKey(Errors errors) {
        errors.check(key != null || keyHash != null, "key", "is required (or keyHash)");
        errors.check(key == null || key.length() >= MIN_SECRET_LENGTH && key.length() <= MAX_KEY_LENGTH
                && key.chars().allMatch(c -> c > ' ' && c < 0x7f), "key", "must be " + MIN_SECRET_LENGTH + "-"
                + MAX_KEY_LENGTH + " visible ASCII characters");
        errors.check(keyHash == null || CredentialSecrets.isKeyHash(keyHash), "keyHash",
                "must be the SHA-256 of the key in lower-case hex (64 digits)");
    }

    private void validateBasic(Errors errors) {
        errors.required(username, "username");
        errors.check(password != null || passwordHash != null, "password", "is required (or passwordHash)");
        errors.check(username == null || username.indexOf(':') < 0, "username", "must not contain ':'");
        errors.check(password == null || !password.isEmpty()
                && password.getBytes(StandardCharsets.UTF_8).length <= CredentialSecrets.MAX_PASSWORD_BYTES,
                "password", "must be 1-" + CredentialSecrets.MAX_PASSWORD_BYTES + " bytes in UTF-8, the bcrypt limit");
        errors.check(passwordHash == null || CredentialSecrets.isPasswordHash(passwordHash), "passwordHash",
                "must be a bcrypt hash such as $2b$12$ followed by 53 characters");
    }

    private void validateMtls(Errors errors) {
        errors.check(subject != null || fingerprint != null, "subject", "is required unless fingerprint is given");
        if (subject != null) {
            try {
                new X500Principal(subject);
            } catch (IllegalArgumentException e) {
                errors.add("subject", "must be a distinguished name such as CN=orders,O=Example");
            }
        }
        errors.check(fingerprint == null || normalizedFingerprint(fingerprint).matches("[0-9a-f]{64}"),
                "fingerprint", "must be the SHA-256 of the certificate in hex, 64 digits, colons allowed");
    }

    /** Returns a certificate fingerprint in lower-case hex without colons, the form the gateway compares. */
    public static String normalizedFingerprint(String fingerprint) {
        return fingerprint.replace(":", "").toLowerCase(Locale.ROOT);
    }

    /** The type-specific fields that are set, by name. */
    private Map<String, Object> present() {
        Map<String, Object> fields = new LinkedHashMap<>();
        put(fields, "key", key);
        put(fields, "keyHash", keyHash);
        put(fields, "keyHint", keyHint);
        put(fields, "username", username);
        put(fields, "password", password);
        put(fields, "passwordHash", passwordHash);
        put(fields, "accessKey", accessKey);
        put(fields, "secretKey", secretKey);
        put(fields, "issuer", issuer);
        put(fields, "subject", subject);
        put(fields, "secret", secret);
        put(fields, "publicKey", publicKey);
        put(fields, "fingerprint", fingerprint);
        put(fields, "clientId", clientId);
        put(fields, "clientSecret", clientSecret);
        put(fields, "clientSecretHash", clientSecretHash);
        put(fields, "scopes", scopes);
        return fields;
    }

    private static void put(Map<String, Object> fields, String name, Object value) {
        if (value != null) {
            fields.put(name, value);
        }
    }
}
