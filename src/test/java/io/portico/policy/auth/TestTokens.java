package io.portico.policy.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.function.Consumer;

/** Test keys of every family and tokens signed with them, as an identity provider would issue them. */
public final class TestTokens {

    private TestTokens() {
    }

    /** A key pair with its public key as a JWK and as PEM. */
    public record TestKey(String kid, KeyPair pair, JWK publicJwk) {

        public String publicPem() {
            return pem(pair.getPublic());
        }
    }

    public static TestKey rsa(String kid) {
        KeyPair pair = generate("RSA", null, 2048);
        return new TestKey(kid, pair, new RSAKey.Builder((RSAPublicKey) pair.getPublic()).keyID(kid).build());
    }

    /** Generates an EC key on {@code curve}: P-256, P-384 or P-521. */
    public static TestKey ec(String kid, Curve curve) {
        KeyPair pair = generate("EC", new ECGenParameterSpec(curve.getStdName()), 0);
        return new TestKey(kid, pair, new ECKey.Builder(curve, (ECPublicKey) pair.getPublic()).keyID(kid).build());
    }

    public static TestKey ed25519(String kid) {
        KeyPair pair = generate("Ed25519", null, 0);
        byte[] encoded = pair.getPublic().getEncoded();
        byte[] raw = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
        return new TestKey(kid, pair, new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(raw)).keyID(kid)
                .build());
    }

    private static KeyPair generate(String algorithm, ECGenParameterSpec curve, int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (curve != null) {
                generator.initialize(curve);
            } else if (bits > 0) {
                generator.initialize(bits);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the PEM of a public key, as {@code BEGIN PUBLIC KEY}. */
    public static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    }

    /** Claims valid for an hour from now, for {@code subject}, changed by {@code customize}. */
    public static JWTClaimsSet claims(String subject, Consumer<JWTClaimsSet.Builder> customize) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().subject(subject)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(3600)));
        customize.accept(builder);
        return builder.build();
    }

    public static JWTClaimsSet claims(String subject) {
        return claims(subject, builder -> { });
    }

    /** Signs {@code claims} with {@code key} and {@code algorithm}; Ed25519 is signed by the JDK. */
    public static String sign(TestKey key, JWSAlgorithm algorithm, JWTClaimsSet claims) {
        JWSHeader header = new JWSHeader.Builder(algorithm).keyID(key.kid()).build();
        if (JWSAlgorithm.EdDSA.equals(algorithm) || JWSAlgorithm.Ed25519.equals(algorithm)) {
            return signEd25519(key, header, claims);
        }
        try {
            JWSSigner signer = key.pair().getPrivate() instanceof RSAPrivateKey rsa ? new RSASSASigner(rsa)
                    : new ECDSASigner((ECPrivateKey) key.pair().getPrivate());
            SignedJWT jwt = new SignedJWT(header, claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs with an HMAC secret; {@code kid} may be null. */
    public static String signHmac(byte[] secret, String kid, JWSAlgorithm algorithm, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(kid).build(), claims);
            jwt.sign(new MACSigner(secret));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String signEd25519(TestKey key, JWSHeader header, JWTClaimsSet claims) {
        String input = header.toBase64URL() + "." + Base64URL.encode(claims.toString()
                .getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("Ed25519");
            signature.initSign(key.pair().getPrivate());
            signature.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + Base64URL.encode(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns an unsigned token ({@code "alg": "none"}) with {@code claims}. */
    public static String unsigned(JWTClaimsSet claims) {
        return Base64URL.encode("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + Base64URL.encode(claims.toString().getBytes(StandardCharsets.UTF_8)) + ".";
    }

    /** Returns the JWK set document of {@code keys}. */
    public static String jwks(JWK... keys) {
        StringBuilder json = new StringBuilder("{\"keys\":[");
        for (int i = 0; i < keys.length; i++) {
            json.append(i == 0 ? "" : ",").append(keys[i].toPublicJWK().toJSONString());
        }
        return json.append("]}").toString();
    }

    /** Returns {@code claims} as a map, for tests that build JSON by hand. */
    public static Map<String, Object> asMap(JWTClaimsSet claims) {
        return claims.toJSONObject();
    }
}
