package io.portico.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Hashes admin user passwords with Argon2id (RFC 9106) from Bouncy Castle, and checks them.
 *
 * <p>Hashes are PHC strings, {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}, so that a stored hash keeps
 * working when the parameters for new hashes change. The parameters are the OWASP Password Storage Cheat Sheet's
 * first Argon2id setting: 19 MiB of memory, 2 iterations, 1 lane. One hash takes tens of milliseconds, so call
 * these methods on a worker thread.
 */
final class Passwords {

    /** Shortest accepted password. */
    static final int MIN_LENGTH = 12;
    /** Longest accepted password, which bounds the work an unauthenticated request can cause. */
    static final int MAX_LENGTH = 256;

    private static final int MEMORY_KIB = 19 * 1024;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
    /** Checked against when the user does not exist, so that the response time does not reveal that. */
    private static final String DECOY = hash("decoy password that matches nothing");

    private Passwords() {
    }

    /** Returns the PHC string of a new Argon2id hash of {@code password} with a random salt. */
    static String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = argon2(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
        Base64.Encoder base64 = Base64.getEncoder().withoutPadding();
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$"
                + base64.encodeToString(salt) + "$" + base64.encodeToString(hash);
    }

    /**
     * Returns true when {@code password} matches {@code phc}. A null {@code phc}, for a user who has no password or
     * does not exist, never matches but costs the same time as a real check.
     */
    static boolean matches(String password, String phc) {
        if (password == null || password.length() > MAX_LENGTH) {
            return false;
        }
        Matcher parts = PHC.matcher(phc == null ? DECOY : phc);
        if (!parts.matches()) {
            return false;
        }
        byte[] salt = Base64.getDecoder().decode(parts.group(4));
        byte[] expected = Base64.getDecoder().decode(parts.group(5));
        byte[] actual = argon2(password, salt, Integer.parseInt(parts.group(1)), Integer.parseInt(parts.group(2)),
                Integer.parseInt(parts.group(3)), expected.length);
        return phc != null && MessageDigest.isEqual(actual, expected);
    }

    /** Returns why {@code password} is not acceptable as a new password, or null when it is. */
    static String weakness(String password) {
        if (password.length() < MIN_LENGTH) {
            return "must be at least " + MIN_LENGTH + " characters long";
        }
        if (password.length() > MAX_LENGTH) {
            return "must be at most " + MAX_LENGTH + " characters long";
        }
        return null;
    }

    private static byte[] argon2(String password, byte[] salt, int memoryKib, int iterations, int parallelism,
                                 int length) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withSalt(salt)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] hash = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), hash);
        return hash;
    }
}
