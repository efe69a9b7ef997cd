package io.portico.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Personal API tokens of admin users: {@code pat_<id>.<secret>}, where the id is 16 hex digits that find the
 * stored row and the secret is 32 random bytes in base64url. Only the SHA-256 of the whole token is stored; a
 * fast hash is enough because the token carries 256 random bits.
 */
final class ApiTokens {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern FORMAT = Pattern.compile("pat_([0-9a-f]{16})\\.[A-Za-z0-9_-]{43}");

    private ApiTokens() {
    }

    /** A new token: the value to show once, its id and the hash to store. */
    record NewToken(String value, String id, String hash) {
    }

    static NewToken generate() {
        byte[] id = new byte[8];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        String hexId = HexFormat.of().formatHex(id);
        String value = "pat_" + hexId + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        return new NewToken(value, hexId, hash(value));
    }

    /** Returns the id of a value in the personal token format, or empty for any other value. */
    static Optional<String> idOf(String value) {
        Matcher matcher = FORMAT.matcher(value);
        return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    /** Returns the SHA-256 of {@code value} in lower-case hex. */
    static String hash(String value) {
        return HexFormat.of().formatHex(sha256(value));
    }

    /** Compares two hex hashes in time that does not depend on where they differ. */
    static boolean sameHash(String left, String right) {
        return MessageDigest.isEqual(left.getBytes(StandardCharsets.US_ASCII),
                right.getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
