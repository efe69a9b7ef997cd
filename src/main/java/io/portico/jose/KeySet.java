package io.portico.jose;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Verification keys indexed by key id. Immutable and thread-safe.
 *
 * @param keys every key, in the order given
 * @param skipped how many keys of the source were left out because no supported algorithm can use them
 * @param symmetricSkipped how many symmetric keys ({@code kty: oct}) of a fetched key set were left out
 * @param invalid how many invalid keys of a fetched key set were left out, by reason, such as
 *     {@code without kty}; the reasons never contain key material
 */
public record KeySet(List<VerificationKey> keys, int skipped, int symmetricSkipped, Map<String, Integer> invalid) {

    private static final KeySet EMPTY = new KeySet(List.of(), 0, 0, Map.of());
    /** The key types of RFC 7518 section 6.1 and RFC 8037; a key of another type is skipped as unsupported. */
    private static final Set<String> KEY_TYPES = Set.of("RSA", "EC", "OKP", "oct");

    public KeySet {
        keys = List.copyOf(keys);
        invalid = Collections.unmodifiableMap(new TreeMap<>(invalid));
    }

    public static KeySet empty() {
        return EMPTY;
    }

    public static KeySet of(List<VerificationKey> keys) {
        return new KeySet(keys, 0, 0, Map.of());
    }

    /**
     * Parses a JWK set document (RFC 7517 section 5) fetched from a URL. Keys that cannot verify signatures with a
     * supported algorithm, such as encryption keys or RSA keys under 2048 bits, are skipped and counted.
     *
     * <p>Symmetric keys ({@code kty: oct}) are skipped too and counted in {@link #symmetricSkipped()}. A key set
     * URL is readable by anyone who can fetch it, so an HMAC key in it is no secret, and a token signed with it
     * proves nothing. HMAC keys belong in a policy's inline {@code keys} or a credential.
     *
     * <p>An invalid key (not a JSON object, without {@code kty}, or with parameters that do not form a key of its
     * type) is skipped and counted in {@link #invalid()}, so that one broken key does not stop the others from
     * verifying tokens.
     *
     * @throws ParseException when the document is not a JWK set, or when it has invalid keys and no usable one
     */
    public static KeySet parse(String json) throws ParseException {
        List<Object> members = JSONObjectUtils.getJSONArray(JSONObjectUtils.parse(json), "keys");
        if (members == null) {
            throw new ParseException("the document has no \"keys\" member", 0);
        }
        List<VerificationKey> keys = new ArrayList<>();
        Map<String, Integer> invalid = new TreeMap<>();
        int skipped = 0;
        int symmetric = 0;
        for (Object member : members) {
            JWK jwk;
            try {
                jwk = parseKey(member);
            } catch (ParseException e) {
                invalid.merge(e.getMessage(), 1, Integer::sum);
                continue;
            }
            if (jwk == null) {
                skipped++;
            } else if (KeyType.OCT.equals(jwk.getKeyType())) {
                symmetric++;
            } else {
                try {
                    keys.add(VerificationKey.of(jwk));
                } catch (IllegalArgumentException e) {
                    skipped++;
                }
            }
        }
        if (keys.isEmpty() && !invalid.isEmpty()) {
            throw new ParseException("the key set has no usable key, and invalid keys: " + describe(invalid), 0);
        }
        return new KeySet(keys, skipped, symmetric, invalid);
    }

    /**
     * Parses one member of {@code keys}, or returns null for a key type that Portico does not support.
     *
     * @throws ParseException with the reason alone as its message when the member is not a valid key
     */
    private static JWK parseKey(Object member) throws ParseException {
        if (!(member instanceof Map<?, ?> map)) {
            throw new ParseException("not a JSON object", 0);
        }
        if (!(map.get("kty") instanceof String type)) {
            throw new ParseException("without kty", 0);
        }
        if (!KEY_TYPES.contains(type)) {
            return null;
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) map;
            return JWK.parse(object);
        } catch (ParseException | RuntimeException e) {
            // The message of the JOSE library may quote key parameters, so only the key type is kept.
            throw new ParseException("with invalid " + type + " key parameters", 0);
        }
    }

    /** Returns the reasons of {@code invalid} with their counts, such as {@code 2 without kty}. */
    public static String describe(Map<String, Integer> invalid) {
        StringBuilder text = new StringBuilder();
        invalid.forEach((reason, count) -> {
            if (!text.isEmpty()) {
                text.append(", ");
            }
            text.append(count).append(' ').append(reason);
        });
        return text.toString();
    }

    /** Returns a set of the keys of this set followed by those of {@code other}. */
    public KeySet plus(KeySet other) {
        if (other.keys.isEmpty()) {
            return this;
        }
        List<VerificationKey> all = new ArrayList<>(keys);
        all.addAll(other.keys);
        Map<String, Integer> allInvalid = new TreeMap<>(invalid);
        other.invalid.forEach((reason, count) -> allInvalid.merge(reason, count, Integer::sum));
        return new KeySet(all, skipped + other.skipped, symmetricSkipped + other.symmetricSkipped, allInvalid);
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
