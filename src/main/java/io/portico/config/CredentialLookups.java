package io.portico.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * The values by which the gateway finds a credential in a request: the API key's hash, the username, the access
 * key, the client id, the certificate's subject or fingerprint, and a JWT credential's issuer and subject together.
 * Each must belong to one credential only.
 */
public final class CredentialLookups {

    /** Stands for an absent issuer or subject in a JWT credential's look-up value. */
    private static final String ABSENT = "\u0001";

    /**
     * One look-up value of a credential.
     *
     * @param field the field that an error about the value names
     * @param noun what the value is, for messages
     * @param value the value in the form the gateway compares, prefixed with the credential type
     */
    public record Lookup(String field, String noun, String value) {
    }

    private CredentialLookups() {
    }

    /** Returns the look-up values of {@code credential}, none for a type the gateway finds in another way. */
    public static List<Lookup> of(CredentialSpec credential) {
        List<Lookup> lookups = new ArrayList<>();
        switch (credential.type()) {
            case "key-auth" -> add(lookups, credential, "key", "API key", credential.keyHash() != null
                    ? credential.keyHash()
                    : credential.key() == null ? null : CredentialSecrets.sha256Hex(credential.key()));
            case "basic-auth" -> add(lookups, credential, "username", "username", credential.username());
            case "hmac" -> add(lookups, credential, "accessKey", "access key", credential.accessKey());
            case "oauth-client" -> add(lookups, credential, "clientId", "client id", credential.clientId());
            case "mtls" -> {
                add(lookups, credential, "subject", "certificate subject",
                        credential.subject() == null ? null : canonicalSubject(credential.subject()));
                add(lookups, credential, "fingerprint", "certificate fingerprint",
                        credential.fingerprint() == null ? null
                                : CredentialSpec.normalizedFingerprint(credential.fingerprint()));
            }
            case "jwt" -> {
                // A credential with only an issuer matches every subject of it, so the pair is the value.
                if (credential.issuer() != null || credential.subject() != null) {
                    add(lookups, credential, credential.issuer() != null ? "issuer" : "subject",
                            "issuer and subject", orAbsent(credential.issuer()) + "\u0000"
                                    + orAbsent(credential.subject()));
                }
            }
            default -> {
                // Unknown types fail validation elsewhere.
            }
        }
        return lookups;
    }

    /**
     * Adds an error to each credential whose look-up value another credential also has, naming that other
     * credential, so that a write can report the error on the credential it writes.
     */
    static void duplicates(Collection<CredentialSpec> credentials, List<FieldError> errors) {
        Map<String, String> owners = new HashMap<>();
        for (CredentialSpec credential : credentials) {
            for (Lookup lookup : of(credential)) {
                String owner = owners.putIfAbsent(lookup.value(), credential.name());
                if (owner != null) {
                    errors.add(duplicate(credential.name(), lookup, owner));
                    errors.add(duplicate(owner, lookup, credential.name()));
                }
            }
        }
    }

    private static FieldError duplicate(String name, Lookup lookup, String other) {
        return new FieldError("credentials/" + name + "." + lookup.field(), "has the same " + lookup.noun()
                + " as credentials/" + other + "; each must be unique");
    }

    /** Returns the canonical form of a distinguished name, so that spacing and case do not matter. */
    static String canonicalSubject(String subject) {
        try {
            return new X500Principal(subject).getName(X500Principal.CANONICAL);
        } catch (IllegalArgumentException e) {
            return subject;
        }
    }

    private static void add(List<Lookup> lookups, CredentialSpec credential, String field, String noun,
                            String value) {
        if (value != null) {
            lookups.add(new Lookup(field, noun, credential.type() + "/" + field + "/" + value));
        }
    }

    private static String orAbsent(String value) {
        return value == null ? ABSENT : value;
    }
}
