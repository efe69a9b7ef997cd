package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
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
 * <p>{@link CredentialSecrets} computes the stored forms. The {@link Variant} annotations state which fields each
 * type may carry and requires, beside name, consumer, type, disabled and expiresAt.
 *
 * @param name the credential's unique name
 * @param consumer the consumer the credential identifies
 * @param type key-auth, basic-auth, hmac, jwt, mtls or oauth-client
 * @param disabled rejects the credential while true
 * @param expiresAt the instant from which the credential is rejected; never when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Variant(field = "type", value = "key-auth", fields = {"key", "keyHash", "keyHint"}, required = "key|keyHash")
@Variant(field = "type", value = "basic-auth", fields = {"username", "password", "passwordHash"},
        required = {"username", "password|passwordHash"})
@Variant(field = "type", value = "hmac", fields = {"accessKey", "secretKey"}, required = {"accessKey", "secretKey"})
@Variant(field = "type", value = "jwt", fields = {"issuer", "subject", "secret", "publicKey"},
        required = "issuer|subject")
@Variant(field = "type", value = "mtls", fields = {"subject", "fingerprint"}, required = "subject|fingerprint")
@Variant(field = "type", value = "oauth-client", fields = {"clientId", "clientSecret", "clientSecretHash", "scopes"},
        required = {"clientId", "clientSecret|clientSecretHash"})
public record CredentialSpec(
        @Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
        @Required @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String consumer,
        @Required @OneOf({"key-auth", "basic-auth", "hmac", "jwt", "mtls", "oauth-client"}) String type,
        Boolean disabled,
        Instant expiresAt,
        @Matches(value = "^[!-~]{16,512}$", message = "must be 16-512 visible ASCII characters") String key,
        @Matches(value = CredentialSecrets.KEY_HASH_PATTERN,
                message = "must be the SHA-256 of the key in lower-case hex (64 digits)") String keyHash,
        String keyHint,
        @Matches(value = "^[^:]*$", message = "must not contain ':'") String username,
        String password,
        @Matches(value = CredentialSecrets.PASSWORD_HASH_PATTERN,
                message = "must be a bcrypt hash such as $2b$12$ followed by 53 characters") String passwordHash,
        String accessKey,
        @Length(min = MIN_SECRET_LENGTH) String secretKey,
        String issuer,
        String subject,
        String secret,
        String publicKey,
        @Matches(value = "^:*([0-9a-fA-F]:*){64}$",
                message = "must be the SHA-256 of the certificate in hex, 64 digits, colons allowed")
        String fingerprint,
        String clientId,
        String clientSecret,
        String clientSecretHash,
        List<String> scopes) {

    /** Shortest API key or HMAC secret key accepted. */
    public static final int MIN_SECRET_LENGTH = 16;

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
        FieldRules.check(this, errors);
        // NOTE: the published schema bounds neither the password's UTF-8 bytes nor the subject's syntax.
        errors.check(password == null || !password.isEmpty()
                && password.getBytes(StandardCharsets.UTF_8).length <= CredentialSecrets.MAX_PASSWORD_BYTES,
                "password", "must be 1-" + CredentialSecrets.MAX_PASSWORD_BYTES + " bytes in UTF-8, the bcrypt limit");
        if ("mtls".equals(type) && subject != null) {
            try {
                new X500Principal(subject);
            } catch (IllegalArgumentException e) {
                errors.add("subject", "must be a distinguished name such as CN=orders,O=Example");
            }
        }
    }

    /** Returns a certificate fingerprint in lower-case hex without colons, the form the gateway compares. */
    public static String normalizedFingerprint(String fingerprint) {
        return fingerprint.replace(":", "").toLowerCase(Locale.ROOT);
    }
}
