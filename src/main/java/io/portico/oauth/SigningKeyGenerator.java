package io.portico.oauth;

import io.portico.config.SigningKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/** Generates the key pairs of Portico's authorization server: RSA 2048 for RS256, P-256 for ES256. */
public final class SigningKeyGenerator {

    private static final int RSA_BITS = 2048;
    private static final DateTimeFormatter KEY_ID_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SigningKeyGenerator() {
    }

    /**
     * Returns the key id of a key of {@code issuer} created at {@code now} from a store read at
     * {@code storeVersion}, such as {@code rs256-20260101-42-1a2b3c4d}, where the last part is taken from the
     * SHA-256 hash of the issuer. Nodes that plan from the same read choose the same id, so only one of their
     * creates succeeds. A later read has a higher version, so an id is never used for two keys.
     */
    public static String keyId(String algorithm, String issuer, Instant now, long storeVersion) {
        return algorithm.toLowerCase(Locale.ROOT) + "-" + KEY_ID_DATE.format(now) + "-" + storeVersion + "-"
                + issuerTag(issuer);
    }

    private static String issuerTag(String issuer) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(issuer.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM provides SHA-256", e);
        }
    }

    /**
     * Generates a key of {@code issuer} for {@code algorithm} with the id {@code keyId} that signs from
     * {@code activeFrom}.
     */
    public static SigningKeySpec generate(String algorithm, String issuer, String keyId, Instant now,
                                          Instant activeFrom) {
        KeyPair pair = keyPair(algorithm);
        return new SigningKeySpec(keyId, algorithm, pem("PUBLIC KEY", pair.getPublic().getEncoded()),
                pem("PRIVATE KEY", pair.getPrivate().getEncoded()), now, activeFrom, null, null, issuer);
    }

    private static KeyPair keyPair(String algorithm) {
        try {
            KeyPairGenerator generator;
            if (algorithm.equals("RS256")) {
                generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(RSA_BITS, RANDOM);
            } else if (algorithm.equals("ES256")) {
                generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            } else {
                throw new IllegalArgumentException("unsupported signing algorithm '" + algorithm + "'");
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate " + algorithm + " keys", e);
        }
    }

    private static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }
}
