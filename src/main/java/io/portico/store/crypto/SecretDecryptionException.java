package io.portico.store.crypto;

/** A stored secret value that cannot be decrypted. The message never contains the value. */
public final class SecretDecryptionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient String keyId;

    /**
     * Creates the exception.
     *
     * @param reason why the value cannot be decrypted, written to follow "the value"
     * @param keyId the id of the key named in the value, or null when the value names none
     */
    public SecretDecryptionException(String reason, String keyId) {
        super(reason);
        this.keyId = keyId;
    }

    /** The id of the key named in the value, or null when the value names none. */
    public String keyId() {
        return keyId;
    }
}
