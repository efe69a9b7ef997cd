package io.portico.policy.auth.jwt;

import io.portico.config.ConfigSnapshot;
import io.portico.config.CredentialSpec;
import io.portico.config.RouteSpec;
import io.portico.jose.KeySet;
import io.portico.jose.PublicKeyPem;
import io.portico.jose.VerificationKey;
import io.portico.oauth.SigningKeyRing;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The index that every {@code jwt} policy of one snapshot reads, built once per snapshot: {@code jwt} credentials by
 * issuer and subject with the keys of those that sign their own tokens, {@code oauth-client} credentials by
 * client id, and the issuers and signing keys of Portico's own authorization server routes.
 */
final class JwtCredentials {

    /** The key under which the index is shared through {@code PolicyContext.perSnapshot}. */
    static final String KEY = "jwt.credentials";

    private final Map<String, CredentialSpec> byIssuerAndSubject = new HashMap<>();
    private final Map<String, CredentialSpec> byIssuer = new HashMap<>();
    private final Map<String, CredentialSpec> bySubject = new HashMap<>();
    private final Map<String, KeySet> ownKeys = new HashMap<>();
    private final Map<String, CredentialSpec> oauthClients = new HashMap<>();
    private final Map<String, KeySet> localIssuerKeys = new HashMap<>();
    private final Map<String, Set<String>> localIssuerAlgorithms = new HashMap<>();
    /** The {@code jwt} credentials whose own key cannot be used, by credential name. */
    private final Map<String, UnusableKeyWarnings.UnusableKey> unusableKeys = new TreeMap<>();

    private JwtCredentials() {
    }

    static JwtCredentials of(ConfigSnapshot snapshot) {
        JwtCredentials index = new JwtCredentials();
        for (CredentialSpec credential : snapshot.credentials().values()) {
            if ("jwt".equals(credential.type())) {
                index.addJwt(credential);
            } else if ("oauth-client".equals(credential.type()) && credential.clientId() != null) {
                index.oauthClients.putIfAbsent(credential.clientId(), credential);
            }
        }
        SigningKeyRing ring = SigningKeyRing.of(snapshot);
        Instant now = Instant.now();
        for (RouteSpec route : snapshot.routes().values()) {
            if (route.oauth() != null) {
                String issuer = route.oauth().issuer();
                String algorithm = route.oauth().algorithm();
                KeySet keys = ring.verificationKeys(issuer, algorithm, now);
                index.localIssuerKeys.merge(issuer, keys, KeySet::plus);
                index.localIssuerAlgorithms.computeIfAbsent(issuer, unused -> new TreeSet<>()).add(algorithm);
            }
        }
        return index;
    }

    private void addJwt(CredentialSpec credential) {
        String issuer = credential.issuer();
        String subject = credential.subject();
        if (issuer != null && subject != null) {
            byIssuerAndSubject.putIfAbsent(issuer + '\0' + subject, credential);
        } else if (issuer != null) {
            byIssuer.putIfAbsent(issuer, credential);
        } else if (subject != null) {
            bySubject.putIfAbsent(subject, credential);
        }
        try {
            if (credential.secret() != null) {
                ownKeys.put(credential.name(), KeySet.of(List.of(VerificationKey.hmac(null, credential.secret()))));
            } else if (credential.publicKey() != null) {
                ownKeys.put(credential.name(), KeySet.of(List.of(VerificationKey.of(
                        PublicKeyPem.parse(credential.publicKey(), null)))));
            }
        } catch (IllegalArgumentException e) {
            // The credential still claims its tokens, with a key set that verifies none of them.
            ownKeys.put(credential.name(), KeySet.empty());
            String key = credential.secret() != null ? credential.secret() : credential.publicKey();
            unusableKeys.put(credential.name(), UnusableKeyWarnings.UnusableKey.of(key, e.getMessage()));
        }
    }

    /**
     * Returns the {@code jwt} credential for a token's issuer and subject: an exact match first, then one that
     * names only the issuer, then one that names only the subject; null when none matches.
     */
    CredentialSpec find(String issuer, String subject) {
        CredentialSpec found = null;
        if (issuer != null && subject != null) {
            found = byIssuerAndSubject.get(issuer + '\0' + subject);
        }
        if (found == null && issuer != null) {
            found = byIssuer.get(issuer);
        }
        if (found == null && subject != null) {
            found = bySubject.get(subject);
        }
        return found;
    }

    /** Returns the keys of a credential that signs its own tokens; null when the credential has none. */
    KeySet ownKeys(CredentialSpec credential) {
        return ownKeys.get(credential.name());
    }

    CredentialSpec oauthClient(String clientId) {
        return clientId == null ? null : oauthClients.get(clientId);
    }

    /** Returns the {@code jwt} credentials whose own key cannot be used, by credential name. */
    Map<String, UnusableKeyWarnings.UnusableKey> unusableKeys() {
        return unusableKeys;
    }

    /** Returns true when {@code issuer} is the issuer of one of Portico's own authorization server routes. */
    boolean isLocalIssuer(String issuer) {
        return issuer != null && localIssuerAlgorithms.containsKey(issuer);
    }

    /** Returns the published signing keys of Portico's own {@code issuer}; empty for other issuers. */
    KeySet localKeys(String issuer) {
        return localIssuerKeys.getOrDefault(issuer, KeySet.empty());
    }

    /** Returns the algorithms of Portico's own {@code issuer}; empty for other issuers. */
    Set<String> localAlgorithms(String issuer) {
        return localIssuerAlgorithms.getOrDefault(issuer, Set.of());
    }
}
