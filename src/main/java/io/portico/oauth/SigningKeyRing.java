package io.portico.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import io.portico.config.ConfigSnapshot;
import io.portico.config.SigningKeySpec;
import io.portico.jose.KeySet;
import io.portico.jose.PublicKeyPem;
import io.portico.jose.VerificationKey;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authorization server's signing keys of one configuration snapshot, decoded once: which key signs now for
 * each issuer and algorithm, and the public key set each issuer publishes. Keys without an issuer, created before
 * keys were kept per issuer, belong to every issuer. Immutable and thread-safe.
 */
public final class SigningKeyRing {

    private static final Logger LOG = LoggerFactory.getLogger(SigningKeyRing.class);
    private static final Pattern PRIVATE_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----(.*?)-----END PRIVATE KEY-----", Pattern.DOTALL);
    private static final SigningKeyRing EMPTY = new SigningKeyRing(List.of());

    private final List<Key> keys;

    private SigningKeyRing(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    /** A decoded signing key: its specification, public JWK and signer. */
    record Key(SigningKeySpec spec, JWK publicJwk, JWSSigner signer) {
    }

    /** A signer for one token: the key id to put in the header and the signer. */
    public record Signer(String keyId, JWSAlgorithm algorithm, JWSSigner signer) {
    }

    public static SigningKeyRing empty() {
        return EMPTY;
    }

    /** Decodes the signing keys of {@code snapshot}; a key that cannot be decoded is logged and left out. */
    public static SigningKeyRing of(ConfigSnapshot snapshot) {
        if (snapshot.signingKeys().isEmpty()) {
            return EMPTY;
        }
        List<Key> keys = new ArrayList<>();
        for (SigningKeySpec spec : snapshot.signingKeys().values()) {
            try {
                keys.add(decode(spec));
            } catch (IllegalArgumentException e) {
                LOG.error("Signing key {} cannot be decoded and is not used: {}; delete it from the store so that "
                        + "Portico generates a new one", spec.name(), e.getMessage());
            }
        }
        // Newest first, so that the first key that signs at a given instant is the most recent one.
        keys.sort(Comparator.comparing((Key key) -> key.spec().activeFrom()).reversed()
                .thenComparing(key -> key.spec().name()));
        return new SigningKeyRing(keys);
    }

    private static Key decode(SigningKeySpec spec) {
        JWK parsed = PublicKeyPem.parse(spec.publicKey(), spec.name());
        PrivateKey privateKey = privateKey(spec.privateKey(), spec.algorithm());
        try {
            if (spec.algorithm().equals("RS256")) {
                RSAKey publicJwk = new RSAKey.Builder(parsed.toRSAKey()).algorithm(JWSAlgorithm.RS256)
                        .keyUse(KeyUse.SIGNATURE).build();
                return new Key(spec, publicJwk, new RSASSASigner(privateKey));
            }
            ECKey publicJwk = new ECKey.Builder(parsed.toECKey()).algorithm(JWSAlgorithm.ES256)
                    .keyUse(KeyUse.SIGNATURE).build();
            return new Key(spec, publicJwk, new ECDSASigner((ECPrivateKey) privateKey));
        } catch (JOSEException | ClassCastException e) {
            throw new IllegalArgumentException("the key pair does not match algorithm " + spec.algorithm(), e);
        }
    }

    private static PrivateKey privateKey(String pem, String algorithm) {
        Matcher block = PRIVATE_KEY.matcher(pem);
        if (!block.find()) {
            throw new IllegalArgumentException("no BEGIN PRIVATE KEY block");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(block.group(1).trim());
            return KeyFactory.getInstance(algorithm.equals("RS256") ? "RSA" : "EC")
                    .generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the private key is malformed", e);
        }
    }

    /**
     * Returns the key that signs tokens of {@code issuer} and {@code algorithm} at {@code now}: the most recently
     * activated key of the issuer, or when the issuer has none yet, the most recent key without an issuer.
     */
    public Optional<Signer> signer(String issuer, String algorithm, Instant now) {
        Key shared = null;
        for (Key key : keys) {
            SigningKeySpec spec = key.spec();
            if (!spec.algorithm().equals(algorithm) || !spec.signsAt(now) || !spec.servesIssuer(issuer)) {
                continue;
            }
            if (spec.issuer() != null) {
                return Optional.of(signer(key));
            }
            shared = shared == null ? key : shared;
        }
        return Optional.ofNullable(shared).map(SigningKeyRing::signer);
    }

    private static Signer signer(Key key) {
        return new Signer(key.spec().name(), JWSAlgorithm.parse(key.spec().algorithm()), key.signer());
    }

    /** Returns the JWK set document of the keys of {@code issuer} published at {@code now}, public parts only. */
    public String jwks(String issuer, Instant now) {
        List<JWK> published = new ArrayList<>();
        for (Key key : keys) {
            if (key.spec().servesIssuer(issuer) && key.spec().publishedAt(now)) {
                published.add(key.publicJwk());
            }
        }
        return new JWKSet(published).toString(true);
    }

    /** Returns the published keys of {@code issuer} and {@code algorithm} as verification keys. */
    public KeySet verificationKeys(String issuer, String algorithm, Instant now) {
        List<VerificationKey> found = new ArrayList<>();
        for (Key key : keys) {
            SigningKeySpec spec = key.spec();
            if (spec.algorithm().equals(algorithm) && spec.servesIssuer(issuer) && spec.publishedAt(now)) {
                found.add(VerificationKey.of(key.publicJwk()));
            }
        }
        return KeySet.of(found);
    }
}
