package io.portico.policy.auth;

import io.portico.config.ConfigSnapshot;
import io.portico.config.ConsumerSpec;
import io.portico.config.CredentialSpec;
import io.portico.pipeline.Identity;
import io.portico.pipeline.PolicyContext;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * The credentials of one configuration snapshot, indexed by the values that requests present: the SHA-256 of an
 * API key, a username, an HMAC access key, and a client certificate's fingerprint or subject. Built once per
 * snapshot and shared by every route; each look-up is one hash-map access. Credentials of a consumer that does
 * not exist are left out.
 */
public final class CredentialIndex {

    private static final String KEY = CredentialIndex.class.getName();

    private final Map<String, Entry> byKeyHash = new HashMap<>();
    private final Map<String, Entry> byUsername = new HashMap<>();
    private final Map<String, Entry> byAccessKey = new HashMap<>();
    private final Map<String, Entry> byFingerprint = new HashMap<>();
    private final Map<String, Entry> bySubject = new HashMap<>();

    private CredentialIndex(ConfigSnapshot snapshot) {
        // The snapshot lists credentials by name, so when two share a value (which writes reject), the first wins.
        for (CredentialSpec credential : snapshot.credentials().values()) {
            ConsumerSpec consumer = snapshot.consumers().get(credential.consumer());
            if (consumer != null) {
                add(new Entry(credential, consumer));
            }
        }
    }

    /** Returns the index of the snapshot {@code context} belongs to, building it on first use. */
    public static CredentialIndex of(PolicyContext context) {
        return context.perSnapshot(KEY, CredentialIndex::new);
    }

    private void add(Entry entry) {
        CredentialSpec credential = entry.credential();
        switch (credential.type()) {
            case "key-auth" -> {
                if (credential.keyHash() != null) {
                    byKeyHash.putIfAbsent(credential.keyHash(), entry);
                }
            }
            case "basic-auth" -> byUsername.putIfAbsent(credential.username(), entry);
            case "hmac" -> byAccessKey.putIfAbsent(credential.accessKey(), entry);
            case "mtls" -> {
                if (credential.fingerprint() != null) {
                    byFingerprint.putIfAbsent(CredentialSpec.normalizedFingerprint(credential.fingerprint()), entry);
                }
                if (credential.subject() != null) {
                    bySubject.putIfAbsent(canonical(new X500Principal(credential.subject())), entry);
                }
            }
            default -> {
                // jwt and oauth-client credentials are found by their own policies.
            }
        }
    }

    /** Returns the key-auth credential whose key hash is {@code keyHash} (lower-case hex), or null. */
    public Entry byKeyHash(String keyHash) {
        return byKeyHash.get(keyHash);
    }

    /** Returns the basic-auth credential with {@code username}, or null. */
    public Entry byUsername(String username) {
        return byUsername.get(username);
    }

    /** Returns the hmac credential with {@code accessKey}, or null. */
    public Entry byAccessKey(String accessKey) {
        return byAccessKey.get(accessKey);
    }

    /** Returns the mtls credential with the certificate fingerprint {@code sha256}, or null. */
    public Entry byFingerprint(byte[] sha256) {
        return byFingerprint.get(HexFormat.of().formatHex(sha256));
    }

    /** Returns the mtls credential with the certificate subject {@code subject}, or null. */
    public Entry bySubject(X500Principal subject) {
        return bySubject.get(canonical(subject));
    }

    private static String canonical(X500Principal subject) {
        return subject.getName(X500Principal.CANONICAL).toLowerCase(Locale.ROOT);
    }

    /**
     * One credential with its consumer and the identity it establishes, made once per snapshot so that a
     * successful authentication allocates nothing.
     */
    public static final class Entry {
        private final CredentialSpec credential;
        private final boolean consumerDisabled;
        private final long expiresAtMillis;
        private final byte[] keyHash;
        private final Identity identity;

        Entry(CredentialSpec credential, ConsumerSpec consumer) {
            this.credential = credential;
            this.consumerDisabled = consumer.disabled();
            this.expiresAtMillis = credential.expiresAt() == null ? Long.MAX_VALUE
                    : credential.expiresAt().toEpochMilli();
            this.keyHash = credential.keyHash() == null ? null : HexFormat.of().parseHex(credential.keyHash());
            this.identity = new Identity(consumer.name(), consumer.team(), credential.name(), credential.type(),
                    consumer.labels(), Map.of());
        }

        public CredentialSpec credential() {
            return credential;
        }

        /** The SHA-256 of a key-auth credential's key; null for other types. Callers must not change it. */
        public byte[] keyHash() {
            return keyHash;
        }

        /** The identity of a request that presents this credential. */
        public Identity identity() {
            return identity;
        }

        /**
         * Returns why the credential cannot be used at {@code nowMillis} (disabled, expired, or its consumer
         * disabled), for a DEBUG log line only; null when it can be used.
         */
        public String unusableReason(long nowMillis) {
            if (credential.disabled()) {
                return "credential " + credential.name() + " is disabled";
            }
            if (nowMillis >= expiresAtMillis) {
                return "credential " + credential.name() + " expired at " + credential.expiresAt();
            }
            if (consumerDisabled) {
                return "consumer " + credential.consumer() + " is disabled";
            }
            return null;
        }
    }
}
