package io.portico.jose;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A key that verifies token signatures, with the algorithms it may verify. The key type fixes the algorithm
 * family, so a token can never choose how a key is used: an RSA key verifies only RS and PS signatures, an EC key
 * only the ES algorithm of its curve, an Ed25519 key only EdDSA, and a shared secret only the HS algorithms its
 * length allows (at least the hash size, RFC 7518 section 3.2). A JWK's {@code alg}, {@code use} and
 * {@code key_ops} narrow this further. Instances are immutable and thread-safe.
 */
public final class VerificationKey {

    /** Smallest RSA modulus accepted, in bits; NIST SP 800-131A disallows smaller keys for signatures. */
    public static final int MIN_RSA_BITS = 2048;
    private static final List<JWSAlgorithm> RSA = List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
            JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);
    private static final List<JWSAlgorithm> HMAC = List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384,
            JWSAlgorithm.HS512);
    /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519 (RFC 8410), followed by the 32 key bytes. */
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
        0x21, 0x00};
    private static final int ED25519_KEY_BYTES = 32;

    private final String keyId;
    private final Set<JWSAlgorithm> algorithms;
    private final Verifier verifier;

    private VerificationKey(String keyId, Set<JWSAlgorithm> algorithms, Verifier verifier) {
        this.keyId = keyId;
        this.algorithms = Set.copyOf(algorithms);
        this.verifier = verifier;
    }

    /** Verifies a signature over the JWS signing input. */
    @FunctionalInterface
    private interface Verifier {
        boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException;
    }

    /**
     * Returns a key for the public (or secret) part of {@code jwk}; a private JWK is reduced to its public part.
     *
     * @throws IllegalArgumentException when the key type, curve or size is not supported, or when {@code use},
     *     {@code key_ops} or {@code alg} exclude signature verification by a supported algorithm
     */
    public static VerificationKey of(JWK jwk) {
        requireNonNull(jwk, "jwk");
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            throw new IllegalArgumentException("the key's use is '" + jwk.getKeyUse().identifier()
                    + "', not 'sig'");
        }
        if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
            throw new IllegalArgumentException("the key's key_ops do not include 'verify'");
        }
        VerificationKey key;
        try {
            key = switch (jwk.getKeyType().getValue()) {
                case "oct" -> hmac(jwk.getKeyID(), ((OctetSequenceKey) jwk).toByteArray());
                case "RSA" -> rsa(jwk.toRSAKey());
                case "EC" -> ec(jwk.toECKey());
                case "OKP" -> ed25519(jwk.toOctetKeyPair());
                default -> throw new IllegalArgumentException("unsupported key type '"
                        + jwk.getKeyType().getValue() + "'");
            };
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable key: " + e.getMessage(), e);
        }
        return key.restrictedTo(jwk.getAlgorithm());
    }

    /**
     * Returns a key that verifies HMAC signatures with {@code secret}.
     *
     * @throws IllegalArgumentException when the secret is shorter than 32 bytes, the minimum of HS256
     */
    public static VerificationKey hmac(String keyId, byte[] secret) {
        Set<JWSAlgorithm> allowed = new HashSet<>();
        for (JWSAlgorithm algorithm : HMAC) {
            if (secret.length >= JwsAlgorithms.minHmacKeyBytes(algorithm)) {
                allowed.add(algorithm);
            }
        }
        if (allowed.isEmpty()) {
            throw new IllegalArgumentException("an HMAC secret must be at least 32 bytes (256 bits) long");
        }
        try {
            MACVerifier mac = new MACVerifier(secret.clone());
            return new VerificationKey(keyId, allowed, mac::verify);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable HMAC secret: " + e.getMessage(), e);
        }
    }

    /** Returns a key that verifies HMAC signatures with the UTF-8 bytes of {@code secret}. */
    public static VerificationKey hmac(String keyId, String secret) {
        return hmac(keyId, secret.getBytes(StandardCharsets.UTF_8));
    }

    private static VerificationKey rsa(RSAKey key) throws JOSEException {
        if (key.size() < MIN_RSA_BITS) {
            throw new IllegalArgumentException("the RSA key has " + key.size() + " bits; at least " + MIN_RSA_BITS
                    + " are required");
        }
        RSASSAVerifier rsa = new RSASSAVerifier(key.toPublicJWK());
        return new VerificationKey(key.getKeyID(), new HashSet<>(RSA), rsa::verify);
    }

    private static VerificationKey ec(ECKey key) throws JOSEException {
        JWSAlgorithm algorithm;
        if (Curve.P_256.equals(key.getCurve())) {
            algorithm = JWSAlgorithm.ES256;
        } else if (Curve.P_384.equals(key.getCurve())) {
            algorithm = JWSAlgorithm.ES384;
        } else if (Curve.P_521.equals(key.getCurve())) {
            algorithm = JWSAlgorithm.ES512;
        } else {
            throw new IllegalArgumentException("unsupported EC curve '" + key.getCurve() + "'; use P-256, P-384 or "
                    + "P-521");
        }
        // ECDSAVerifier checks that the public point lies on the curve, which stops invalid-curve attacks.
        ECDSAVerifier ecdsa = new ECDSAVerifier(key.toPublicJWK());
        return new VerificationKey(key.getKeyID(), Set.of(algorithm), ecdsa::verify);
    }

    private static VerificationKey ed25519(OctetKeyPair key) {
        if (!Curve.Ed25519.equals(key.getCurve())) {
            throw new IllegalArgumentException("unsupported OKP curve '" + key.getCurve() + "'; use Ed25519");
        }
        byte[] raw = key.getDecodedX();
        if (raw.length != ED25519_KEY_BYTES) {
            throw new IllegalArgumentException("an Ed25519 public key must be 32 bytes long");
        }
        PublicKey publicKey = ed25519PublicKey(raw);
        Verifier verifier = (header, signingInput, signature) -> {
            if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
                return false;
            }
            try {
                Signature ed25519 = Signature.getInstance("Ed25519");
                ed25519.initVerify(publicKey);
                ed25519.update(signingInput);
                return ed25519.verify(signature.decode());
            } catch (GeneralSecurityException e) {
                return false;
            }
        };
        return new VerificationKey(key.getKeyID(), Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519), verifier);
    }

    /** Returns the JDK public key for the 32 raw bytes of an Ed25519 public key. */
    static PublicKey ed25519PublicKey(byte[] raw) {
        byte[] encoded = new byte[ED25519_SPKI_PREFIX.length + raw.length];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, encoded, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(raw, 0, encoded, ED25519_SPKI_PREFIX.length, raw.length);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("invalid Ed25519 public key: " + e.getMessage(), e);
        }
    }

    private VerificationKey restrictedTo(Algorithm declared) {
        if (declared == null) {
            return this;
        }
        JWSAlgorithm algorithm = JwsAlgorithms.find(declared.getName()).orElseThrow(() ->
                new IllegalArgumentException("the key's alg '" + declared.getName() + "' is not a supported JWS "
                        + "algorithm"));
        if (!algorithms.contains(algorithm)) {
            throw new IllegalArgumentException("the key's alg '" + declared.getName() + "' does not match its key "
                    + "type");
        }
        return new VerificationKey(keyId, Set.of(algorithm), verifier);
    }

    /** The key id ({@code kid}); null when the key has none. */
    public String keyId() {
        return keyId;
    }

    /** The algorithms this key may verify. */
    public Set<JWSAlgorithm> algorithms() {
        return algorithms;
    }

    /** Returns true when this key may verify signatures made with {@code algorithm}. */
    public boolean supports(JWSAlgorithm algorithm) {
        return algorithms.contains(algorithm);
    }

    /**
     * Returns true when {@code jwt} carries a valid signature by this key with an algorithm this key supports.
     * Tokens with critical header parameters are rejected, since Portico understands none.
     */
    public boolean verify(SignedJWT jwt) {
        JWSHeader header = jwt.getHeader();
        if (!supports(header.getAlgorithm())) {
            return false;
        }
        try {
            return verifier.verify(header, jwt.getSigningInput(), jwt.getSignature());
        } catch (JOSEException e) {
            return false;
        }
    }
}
