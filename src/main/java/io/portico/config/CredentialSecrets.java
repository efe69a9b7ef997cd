package io.portico.config;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Generates credential secrets, and turns the secrets of a credential as written into the form that is stored.
 *
 * <p>An API key ({@code key}) is stored as its SHA-256 in lower-case hex ({@code keyHash}) with a short
 * non-secret {@code keyHint}. A password ({@code password}) and an OAuth client secret ({@code clientSecret}) are
 * stored as bcrypt hashes ({@code passwordHash}, {@code clientSecretHash}). API keys that Portico generates carry
 * 32 random bytes, so a fast hash is enough for them. Passwords may be chosen by people, so they get a slow one.
 */
public final class CredentialSecrets {

    /** Prefix of every API key that Portico generates, so that keys are easy to recognise in code and logs. */
    public static final String KEY_PREFIX = "pk_";
    /** Work factor of new bcrypt hashes: 2^12 rounds, an estimated 0.1 to 0.3 seconds on one server core. */
    public static final int BCRYPT_COST = 12;
    /** Maximum password length that bcrypt reads, in UTF-8 bytes; longer passwords are rejected. */
    public static final int MAX_PASSWORD_BYTES = 72;
    /**
     * Name of the shared Vert.x worker pool where basic-auth passwords and OAuth client secrets are checked against
     * bcrypt hashes, so that the slow checks never run on an event loop and never fill the default worker pool.
     */
    public static final String PASSWORD_CHECK_POOL = "portico-password-check";

    /** The form of a bcrypt hash: {@code $2a$}, {@code $2b$} or {@code $2y$}, the cost, and 53 characters. */
    public static final String PASSWORD_HASH_PATTERN = "^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$";
    /** The form of the SHA-256 of an API key: 64 lower-case hex digits. */
    public static final String KEY_HASH_PATTERN = "^[0-9a-f]{64}$";
    private static final Pattern BCRYPT_HASH = Pattern.compile(PASSWORD_HASH_PATTERN);
    private static final Pattern SHA256_HEX = Pattern.compile(KEY_HASH_PATTERN);
    private static final int KEY_BYTES = 32;
    private static final int ACCESS_KEY_BYTES = 15;
    private static final int HINT_LENGTH = 7;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final BCrypt.Hasher HASHER = BCrypt.withDefaults();
    private static final BCrypt.Verifyer VERIFIER = BCrypt.verifyer();

    private CredentialSecrets() {
    }

    /** Generates an API key: {@value #KEY_PREFIX} and 32 random bytes in URL-safe base64, 46 characters. */
    public static String generateKey() {
        return KEY_PREFIX + randomText(KEY_BYTES);
    }

    /** Generates a secret of 32 random bytes in URL-safe base64, for HMAC secret keys and passwords. */
    public static String generateSecret() {
        return randomText(KEY_BYTES);
    }

    /** Generates an HMAC access key: {@code ak_} and 15 random bytes in URL-safe base64. */
    public static String generateAccessKey() {
        return "ak_" + randomText(ACCESS_KEY_BYTES);
    }

    private static String randomText(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return BASE64URL.encodeToString(random);
    }

    /** Returns the SHA-256 of {@code value}'s UTF-8 bytes in lower-case hex, the stored form of an API key. */
    public static String sha256Hex(String value) {
        return HexFormat.of().formatHex(sha256(value.getBytes(StandardCharsets.UTF_8)));
    }

    /** Returns the SHA-256 of {@code bytes}. */
    public static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    /** Returns true when {@code value} has the form of a stored key hash: 64 lower-case hex digits. */
    public static boolean isKeyHash(String value) {
        return SHA256_HEX.matcher(value).matches();
    }

    /**
     * Returns the non-secret hint of an API key shown in listings: its first seven characters, or a quarter of a
     * short key, followed by {@code ...}. For a generated key that is the prefix and four random characters.
     */
    public static String keyHint(String key) {
        return key.substring(0, Math.min(HINT_LENGTH, key.length() / 4)) + "...";
    }

    /** Returns a new bcrypt hash of {@code password}; slow by design, so never call it on an event loop. */
    public static String hashPassword(String password) {
        byte[] hash = HASHER.hash(BCRYPT_COST, password.getBytes(StandardCharsets.UTF_8));
        return new String(hash, StandardCharsets.US_ASCII);
    }

    /**
     * Returns true when {@code password} matches the bcrypt {@code hash}; false for a malformed hash or a password
     * longer than {@value #MAX_PASSWORD_BYTES} bytes. As slow as {@link #hashPassword}.
     */
    public static boolean verifyPassword(String password, String hash) {
        byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_PASSWORD_BYTES || !isPasswordHash(hash)) {
            return false;
        }
        return VERIFIER.verify(bytes, hash.getBytes(StandardCharsets.US_ASCII)).verified;
    }

    /** Returns the number of threads of {@link #PASSWORD_CHECK_POOL}: one per core, at least two. */
    public static int passwordCheckThreads() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Returns a bcrypt hash, of cost {@value #BCRYPT_COST}, that no password matches. A name that matches no
     * credential is checked against it, so that an unknown name takes about as long as a wrong password. The hash is
     * computed at the first call, which is therefore as slow as {@link #hashPassword}.
     */
    public static String unknownPasswordHash() {
        return UnknownPassword.HASH;
    }

    /** Holds the hash of {@link #unknownPasswordHash()}, computed when the class is first used. */
    private static final class UnknownPassword {
        static final String HASH = hashPassword(generateSecret());
    }

    /** Returns true when {@code value} has the form of a bcrypt hash ({@code $2a$}, {@code $2b$} or {@code $2y$}). */
    public static boolean isPasswordHash(String value) {
        return BCRYPT_HASH.matcher(value).matches();
    }

    /**
     * Returns the stored form of the credential specification {@code written}: a {@code key} replaced by
     * {@code keyHash} and {@code keyHint}, a {@code password} by {@code passwordHash} and a {@code clientSecret} by
     * {@code clientSecretHash}. When {@code stored}, the credential's current specification, has a hash that the
     * written password or client secret matches, that hash is kept, so writing the same document twice changes
     * nothing. Each new password hash takes as long as {@link #hashPassword}.
     *
     * @param stored the stored specification of the same credential, or null when there is none
     */
    static ObjectNode storedForm(ObjectNode written, ObjectNode stored) {
        ObjectNode spec = written.deepCopy();
        switch (spec.path("type").asText()) {
            case "key-auth" -> {
                JsonNode key = spec.get("key");
                if (key != null && key.isTextual()) {
                    spec.remove("key");
                    spec.put("keyHash", sha256Hex(key.asText()));
                    spec.put("keyHint", keyHint(key.asText()));
                }
            }
            case "basic-auth" -> hashPassword(spec, stored, "password", "passwordHash");
            case "oauth-client" -> hashPassword(spec, stored, "clientSecret", "clientSecretHash");
            default -> {
                // Other types store no secret that can be hashed: HMAC and JWT secrets are needed to verify.
            }
        }
        return spec;
    }

    private static void hashPassword(ObjectNode spec, ObjectNode stored, String field, String hashField) {
        JsonNode password = spec.get(field);
        if (password == null || !password.isTextual()) {
            return;
        }
        spec.remove(field);
        String storedHash = stored == null || !stored.path(hashField).isTextual() ? null
                : stored.get(hashField).asText();
        boolean unchanged = storedHash != null && spec.path("type").asText().equals(stored.path("type").asText())
                && verifyPassword(password.asText(), storedHash);
        spec.put(hashField, unchanged ? storedHash : hashPassword(password.asText()));
    }
}
