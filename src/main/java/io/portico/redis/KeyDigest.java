package io.portico.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * The digest that Redis keys carry in place of values taken from a request (header values, claims, consumer and
 * credential names, client addresses), so that no key listing, {@code MONITOR} output or slow log shows them.
 *
 * <p>It is the first {@value #BYTES} bytes of the SHA-256 digest of the value's UTF-8 bytes, in unpadded base64url:
 * 22 characters from {@code A-Z a-z 0-9 - _}, none of which ends a Redis Cluster hash tag. 128 bits make an
 * accidental collision, which would merge two counters, negligible. The digest is not keyed, so anyone who can
 * list the keys can still test a guess: an address or a consumer name from a short list can be found by trying
 * each candidate. It hides secrets such as API keys, whose values cannot be guessed.
 */
public final class KeyDigest {

    /** Bytes of the SHA-256 digest kept. */
    public static final int BYTES = 16;

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    });

    private KeyDigest() {
    }

    /** Returns the digest of {@code value}, 22 characters of base64url. */
    public static String of(String value) {
        return BASE64URL.encodeToString(bytes(value));
    }

    /** Returns the {@value #BYTES} bytes that {@link #of} encodes. */
    public static byte[] bytes(String value) {
        MessageDigest sha256 = SHA256.get();
        // digest() resets the instance, so the next call on this thread starts afresh.
        return Arrays.copyOf(sha256.digest(value.getBytes(StandardCharsets.UTF_8)), BYTES);
    }
}
