package io.portico.policy.auth.jwt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code jwt} credentials with an unusable key that this node has warned about, kept across configuration
 * versions so that each is logged once: when it first appears, and again only when its key or the reason changes.
 * A credential that is fixed or removed is forgotten, so it is logged again if its key breaks later.
 */
final class UnusableKeyWarnings {

    private static final Logger LOG = LoggerFactory.getLogger(UnusableKeyWarnings.class);
    /** The key under which the node keeps the warnings through {@code PolicyContext.perNode}. */
    static final String NODE_KEY = "jwt.unusable-key-warnings";

    /** The unusable keys of the last configuration reported, by credential name. */
    private Map<String, UnusableKey> reported = Map.of();

    /**
     * Logs a warning for each credential of {@code unusable} that the last report did not contain with the same key
     * and reason, then remembers {@code unusable} as the last report. Every {@code jwt} policy of a configuration
     * reports the same index, so only the first report of a configuration logs.
     */
    synchronized void report(Map<String, UnusableKey> unusable) {
        if (unusable.equals(reported)) {
            return;
        }
        unusable.forEach((credential, key) -> {
            if (!key.equals(reported.get(credential))) {
                LOG.warn("Credential {} has an unusable key, so every token for it is rejected: {}", credential,
                        key.reason());
            }
        });
        reported = Map.copyOf(unusable);
    }

    /**
     * An unusable key of a credential.
     *
     * @param digest the SHA-256 of the key's text, so that a changed key is detected without keeping the secret
     * @param reason why the key cannot be used, without the key itself
     */
    record UnusableKey(String digest, String reason) {

        static UnusableKey of(String key, String reason) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
                return new UnusableKey(HexFormat.of().formatHex(digest), reason);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is not available in this JVM", e);
            }
        }
    }
}
