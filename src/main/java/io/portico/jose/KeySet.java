package io.portico.jose;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Verification keys indexed by key id. Immutable and thread-safe.
 *
 * @param keys every key, in the order given
 * @param skipped how many keys of the source were left out because no supported algorithm can use them
 * @param symmetricSkipped how many symmetric keys ({@code kty: oct}) of a fetched key set were left out
 */
public record KeySet(List<VerificationKey> keys, int skipped, int symmetricSkipped) {

    private static final KeySet EMPTY = new KeySet(List.of(), 0, 0);

    public KeySet {
        keys = List.copyOf(keys);
    }

    public static KeySet empty() {
        return EMPTY;
    }

    public static KeySet of(List<VerificationKey> keys) {
        return new KeySet(keys, 0, 0);
    }

    /**
     * Parses a JWK set document (RFC 7517 section 5) fetched from a URL. Keys that cannot verify signatures with a
     * supported algorithm, such as encryption keys or RSA keys under 2048 bits, are skipped and counted.
     *
     * <p>Symmetric keys ({@code kty: oct}) are skipped too and counted in {@link #symmetricSkipped()}. A key set
     * URL is readable by anyone who can fetch it, so an HMAC key in it is no secret, and a token signed with it
     * proves nothing. HMAC keys belong in a policy's inline {@code keys} or a credential.
     *
     * @throws ParseException when the document is not a JWK set
     */
    public static KeySet parse(String json) throws ParseException {
        JWKSet set = JWKSet.parse(json);
        List<VerificationKey> keys = new ArrayList<>();
        int skipped = 0;
        int symmetric = 0;
        for (JWK jwk : set.getKeys()) {
            if (KeyType.OCT.equals(jwk.getKeyType())) {
                symmetric++;
                continue;
            }
            try {
                keys.add(VerificationKey.of(jwk));
            } catch (IllegalArgumentException e) {
                skipped++;
            }
        }
        return new KeySet(keys, skipped, symmetric);
    }

    /** Returns a set of the keys of this set followed by those of {@code other}. */
    public KeySet plus(KeySet other) {
        if (other.keys.isEmpty()) {
            return this;
        }
        List<VerificationKey> all = new ArrayList<>(keys);
        all.addAll(other.keys);
        return new KeySet(all, skipped + other.skipped, symmetricSkipped + other.symmetricSkipped);
    }

    /**
     * Returns the keys that may verify a token signed with {@code algorithm}: when the token names a key id, the
     * keys with that id and the keys without one; every key otherwise.
     */
    public List<VerificationKey> candidates(JWSAlgorithm algorithm, String keyId) {
        List<VerificationKey> found = new ArrayList<>(2);
        for (VerificationKey key : keys) {
            if (key.supports(algorithm) && (keyId == null || key.keyId() == null || keyId.equals(key.keyId()))) {
                found.add(key);
            }
        }
        return found;
    }

    /** Returns true when some key carries the id {@code keyId}. */
    public boolean hasKeyId(String keyId) {
        for (VerificationKey key : keys) {
            if (keyId.equals(key.keyId())) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }
}
