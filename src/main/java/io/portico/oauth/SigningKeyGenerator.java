package io.portico.oauth;

import io.portico.config.SigningKeySpec;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
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
    private static final int KEY_ID_RANDOM_BYTES = 6;
    private static final DateTimeFormatter KEY_ID_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SigningKeyGenerator() {
    }

    /**
     * Generates a key for {@code algorithm} that signs from {@code activeFrom}. The key id combines the algorithm,
     * the creation date and random hex digits, such as {@code rs256-20260101-3fa9c2d1e0b4}.
     */
    public static SigningKeySpec generate(String algorithm, Instant now, Instant activeFrom) {
        KeyPair pair = keyPair(algorithm);
        byte[] random = new byte[KEY_ID_RANDOM_BYTES];
        RANDOM.nextBytes(random);
        String keyId = algorithm.toLowerCase(Locale.ROOT) + "-" + KEY_ID_DATE.format(now) + "-"
                + HexFormat.of().formatHex(random);
        return new SigningKeySpec(keyId, algorithm, pem("PUBLIC KEY", pair.getPublic().getEncoded()),
                pem("PRIVATE KEY", pair.getPrivate().getEncoded()), now, activeFrom, null, null);
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
        String body = Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }
}
