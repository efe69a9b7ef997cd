package io.portico.store.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A 256-bit AES key that encrypts the secret fields of stored resources.
 *
 * <p>Its id is the first 16 hex digits of the SHA-256 of a fixed label and the key bytes. Every node derives the
 * same id from the same key, so the id in an encrypted value names the key that decrypts it without any key
 * registry, and reveals nothing about the key.
 */
public final class MasterKey {

    /** Key length in bytes. */
    public static final int LENGTH = 32;

    private static final byte[] ID_LABEL = "portico master key id\0".getBytes(StandardCharsets.US_ASCII);
    private static final int ID_HEX_DIGITS = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String id;
    private final byte[] material;

    private MasterKey(byte[] material) {
        this.material = material.clone();
        this.id = deriveId(this.material);
    }

    /**
     * Returns the key encoded in {@code base64} (standard or URL-safe alphabet, padding optional).
     *
     * @param source where the value comes from, such as an environment variable, for the error message
     * @throws IllegalArgumentException when the value is not base64 of exactly 32 bytes; the message never quotes
     *     the value
     */
    public static MasterKey decode(String base64, String source) {
        String text = base64 == null ? "" : base64.trim();
        byte[] bytes;
        try {
            bytes = text.indexOf('-') >= 0 || text.indexOf('_') >= 0
                    ? Base64.getUrlDecoder().decode(text) : Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not valid base64; generate a key with"
                    + " 'openssl rand -base64 32'");
        }
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException(source + " decodes to " + bytes.length + " bytes, but a master key"
                    + " is " + LENGTH + " bytes; generate one with 'openssl rand -base64 32'");
        }
        MasterKey key = new MasterKey(bytes);
        Arrays.fill(bytes, (byte) 0);
        return key;
    }

    /** Returns a new random key. */
    public static MasterKey generate() {
        byte[] bytes = new byte[LENGTH];
        RANDOM.nextBytes(bytes);
        return new MasterKey(bytes);
    }

    /** The key id: 16 lowercase hex digits. */
    public String id() {
        return id;
    }

    /** Returns the key in standard base64, as the key file and {@code PORTICO_MASTER_KEY} contain it. */
    public String encoded() {
        return Base64.getEncoder().encodeToString(material);
    }

    SecretKey secretKey() {
        return new SecretKeySpec(material, "AES");
    }

    private static String deriveId(byte[] material) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(ID_LABEL);
            return HexFormat.of().formatHex(sha256.digest(material)).substring(0, ID_HEX_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MasterKey key && key.id.equals(id) && MessageDigest.isEqual(key.material, material);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    /** Names the key by its id only. */
    @Override
    public String toString() {
        return "MasterKey[" + id + "]";
    }
}
