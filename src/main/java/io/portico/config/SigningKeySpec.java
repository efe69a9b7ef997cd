package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Set;

/**
 * A key pair with which Portico's authorization server signs access tokens. Portico creates, rotates and deletes
 * signing keys itself; they live in the configuration store so that every node on one store signs with the same
 * key and publishes the same key set, but they are not part of declarative documents.
 *
 * <p>A key is published in the key set from its creation until {@code removeAfter}, and signs from
 * {@code activeFrom} until {@code retiredAt}. Rotation creates the successor with an {@code activeFrom} in the
 * future, so relying parties can fetch it before the first token signed with it reaches them, and sets the old
 * key's {@code retiredAt} to that instant and its {@code removeAfter} to when the last token it signed expires.
 *
 * @param name the key id, sent as {@code kid} in token headers and the key set
 * @param algorithm the JWS algorithm, {@code RS256} or {@code ES256}
 * @param publicKey the public key as PEM ({@code BEGIN PUBLIC KEY})
 * @param privateKey the private key as unencrypted PKCS #8 PEM ({@code BEGIN PRIVATE KEY}); a secret field
 * @param createdAt when the key was generated
 * @param activeFrom the instant from which the key signs tokens
 * @param retiredAt the instant from which the key no longer signs; absent while it is the current key
 * @param removeAfter the instant after which the key is no longer published and may be deleted; absent while
 *     the key has not been retired
 * @param issuer the {@code oauth.issuer} whose tokens the key signs, so that the routes of one issuer never rotate
 *     or publish the keys of another; absent on keys created before keys were kept per issuer, which every issuer
 *     publishes until they are removed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SigningKeySpec(String name, String algorithm, String publicKey, String privateKey, Instant createdAt,
                             Instant activeFrom, Instant retiredAt, Instant removeAfter, String issuer) {

    /** The algorithms Portico signs access tokens with. */
    public static final Set<String> ALGORITHMS = Set.of("RS256", "ES256");

    /** Returns true when the key signs tokens at {@code now}. */
    public boolean signsAt(Instant now) {
        return !now.isBefore(activeFrom) && (retiredAt == null || now.isBefore(retiredAt));
    }

    /** Returns true when the key belongs in the published key set at {@code now}. */
    public boolean publishedAt(Instant now) {
        return removeAfter == null || now.isBefore(removeAfter);
    }

    /** Returns true when the key belongs to {@code issuer}, or to every issuer because it names none. */
    public boolean servesIssuer(String issuer) {
        return this.issuer == null || this.issuer.equals(issuer);
    }

    /** Records every invalid field of this key into {@code errors}. */
    public void validate(Errors errors) {
        Names.validate(errors, name);
        errors.required(algorithm, "algorithm");
        errors.check(algorithm == null || ALGORITHMS.contains(algorithm), "algorithm", "must be RS256 or ES256");
        errors.required(publicKey, "publicKey");
        errors.check(publicKey == null || publicKey.contains("-----BEGIN PUBLIC KEY-----"), "publicKey",
                "must be a PEM public key");
        errors.required(privateKey, "privateKey");
        errors.check(privateKey == null || privateKey.contains("-----BEGIN PRIVATE KEY-----"), "privateKey",
                "must be a PKCS #8 PEM private key");
        errors.required(createdAt, "createdAt");
        errors.required(activeFrom, "activeFrom");
        errors.check(retiredAt == null || activeFrom == null || !retiredAt.isBefore(activeFrom), "retiredAt",
                "must not be before activeFrom");
        errors.check(removeAfter == null || retiredAt != null, "removeAfter", "requires retiredAt");
        errors.check(removeAfter == null || retiredAt == null || !removeAfter.isBefore(retiredAt), "removeAfter",
                "must not be before retiredAt");
    }
}
