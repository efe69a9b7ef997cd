package io.portico.store.crypto;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts and decrypts single secret values with AES-256-GCM under the keys of a {@link Keyring}.
 *
 * <p>An encrypted value is the text {@code enc:v1:<key id>:<base64url of nonce, ciphertext and tag>}: a version,
 * the id of the key that encrypted it, a random 96-bit nonce, and the 128-bit authentication tag. The caller's
 * context, such as {@code services/web}, is authenticated as additional data, so a value copied into another
 * resource does not decrypt. With random nonces one key may encrypt about 2^32 values before a nonce collision
 * becomes a real risk; rotate the key long before that.
 */
public final class SecretCipher {

    /** Prefix of every value encrypted by this version. */
    public static final String PREFIX = "enc:v1:";

    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Keyring keyring;

    public SecretCipher(Keyring keyring) {
        this.keyring = requireNonNull(keyring, "keyring");
    }

    public Keyring keyring() {
        return keyring;
    }

    /** Returns true when {@code value} has the form of an encrypted value. */
    public static boolean isEncrypted(String value) {
        return value != null && value.startsWith(PREFIX);
    }

    /** Returns the id of the key that encrypted {@code value}, or empty when it is not an encrypted value. */
    public static Optional<String> keyIdOf(String value) {
        if (!isEncrypted(value)) {
            return Optional.empty();
        }
        int colon = value.indexOf(':', PREFIX.length());
        return colon < 0 ? Optional.empty() : Optional.of(value.substring(PREFIX.length(), colon));
    }

    /** Encrypts {@code plaintext} under the current key, binding it to {@code context}. */
    public String encrypt(String plaintext, String context) {
        MasterKey key = keyring.current();
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, key.secretKey(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
            return PREFIX + key.id() + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed in this JVM", e);
        }
    }

    /**
     * Decrypts a value made by {@link #encrypt} with the same {@code context}.
     *
     * @throws SecretDecryptionException when the value is malformed, its key is not in the keyring, or it does not
     *     authenticate (another key with a colliding id, a changed value, or another context)
     */
    public String decrypt(String value, String context) {
        String keyId = keyIdOf(value).orElseThrow(() -> new SecretDecryptionException(
                "is not an encrypted value of the form " + PREFIX + "<key id>:<data>", null));
        MasterKey key = keyring.find(keyId).orElseThrow(() -> new SecretDecryptionException(
                "is encrypted with master key " + keyId + ", which this node does not have", keyId));
        byte[] data;
        try {
            data = Base64.getUrlDecoder().decode(value.substring(PREFIX.length() + keyId.length() + 1));
        } catch (IllegalArgumentException e) {
            throw new SecretDecryptionException("has encrypted data that is not valid base64url", keyId);
        }
        if (data.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new SecretDecryptionException("has encrypted data too short to hold a nonce and a tag", keyId);
        }
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, key.secretKey(), new GCMParameterSpec(TAG_BITS, data, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] plain = cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES);
            return new String(plain, StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new SecretDecryptionException("does not authenticate under master key " + keyId
                    + ": the value was changed or belongs to another resource", keyId);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed in this JVM", e);
        }
    }
}
