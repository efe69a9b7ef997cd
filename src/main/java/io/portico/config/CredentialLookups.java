package io.portico.config;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * The values by which the gateway finds a credential in a request: the API key's hash, the username, the access
 * key, the client id, and the certificate's subject or fingerprint. Each must belong to one credential only.
 */
final class CredentialLookups {

    private CredentialLookups() {
    }

    /** Adds an error to each credential whose look-up value another credential, earlier by name, also has. */
    static void duplicates(Collection<CredentialSpec> credentials, List<FieldError> errors) {
        Map<String, String> owners = new HashMap<>();
        for (CredentialSpec credential : credentials) {
            switch (credential.type()) {
                case "key-auth" -> {
                    String hash = credential.keyHash() != null ? credential.keyHash()
                            : credential.key() == null ? null : CredentialSecrets.sha256Hex(credential.key());
                    check(owners, errors, credential, credential.key() != null ? "key" : "keyHash", "API key",
                            hash);
                }
                case "basic-auth" -> check(owners, errors, credential, "username", "username",
                        credential.username());
                case "hmac" -> check(owners, errors, credential, "accessKey", "access key", credential.accessKey());
                case "oauth-client" -> check(owners, errors, credential, "clientId", "client id",
                        credential.clientId());
                case "mtls" -> {
                    check(owners, errors, credential, "subject", "certificate subject",
                            credential.subject() == null ? null : canonicalSubject(credential.subject()));
                    check(owners, errors, credential, "fingerprint", "certificate fingerprint",
                            credential.fingerprint() == null ? null
                                    : CredentialSpec.normalizedFingerprint(credential.fingerprint()));
                }
                default -> {
                    // JWT credentials are found by issuer and subject claims, which several credentials may share.
                }
            }
        }
    }

    /** Returns the canonical form of a distinguished name, so that spacing and case do not matter. */
    static String canonicalSubject(String subject) {
        try {
            return new X500Principal(subject).getName(X500Principal.CANONICAL);
        } catch (IllegalArgumentException e) {
            return subject;
        }
    }

    private static void check(Map<String, String> owners, List<FieldError> errors, CredentialSpec credential,
                              String field, String noun, String value) {
        if (value == null) {
            return;
        }
        String owner = owners.putIfAbsent(credential.type() + "/" + field + "/" + value, credential.name());
        if (owner != null) {
            errors.add(new FieldError("credentials/" + credential.name() + "." + field,
                    "has the same " + noun + " as credentials/" + owner + "; each must be unique"));
        }
    }
}
