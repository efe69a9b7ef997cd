package io.portico.store.crypto;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The master keys of one node: the current key, which encrypts every new value, and older keys that only
 * decrypt. Keeping an old key here while its values remain in the store is what makes key rotation possible.
 */
public final class Keyring {

    private final MasterKey current;
    private final Map<String, MasterKey> byId = new LinkedHashMap<>();

    /**
     * Creates a keyring.
     *
     * @param decryptOnly keys that decrypt but never encrypt; a repeat of {@code current} is ignored
     */
    public Keyring(MasterKey current, List<MasterKey> decryptOnly) {
        this.current = requireNonNull(current, "current");
        byId.put(current.id(), current);
        for (MasterKey key : decryptOnly) {
            byId.putIfAbsent(requireNonNull(key, "key").id(), key);
        }
    }

    /** Returns a keyring with {@code current} alone. */
    public static Keyring of(MasterKey current) {
        return new Keyring(current, List.of());
    }

    /** The key that encrypts new values. */
    public MasterKey current() {
        return current;
    }

    /** Returns the key with {@code id}, current or decrypt-only. */
    public Optional<MasterKey> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The ids of every key, the current one first. */
    public List<String> ids() {
        return List.copyOf(byId.keySet());
    }

    @Override
    public String toString() {
        return "Keyring[current=" + current.id() + ", all=" + byId.keySet() + "]";
    }
}
