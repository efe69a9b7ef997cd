package io.portico.policy.auth.bearer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads the scopes a token grants and compares them with the scopes a policy requires. */
public final class Scopes {

    private Scopes() {
    }

    /**
     * Returns the scopes of a token's claims: the space-separated {@code scope} claim (RFC 8693 section 4.2, RFC
     * 7662), or the {@code scp} claim as a list or a space-separated string.
     */
    public static Set<String> granted(Map<String, Object> claims) {
        Set<String> scopes = new HashSet<>();
        add(scopes, claims.get("scope"));
        add(scopes, claims.get("scp"));
        return scopes;
    }

    private static void add(Set<String> scopes, Object value) {
        if (value instanceof String text) {
            for (String scope : text.trim().split(" +")) {
                if (!scope.isEmpty()) {
                    scopes.add(scope);
                }
            }
        } else if (value instanceof Collection<?> list) {
            for (Object item : list) {
                if (item instanceof String scope) {
                    scopes.add(scope);
                }
            }
        }
    }

    /** Returns the scopes of {@code required} that the claims do not grant; empty when all are granted. */
    public static List<String> missing(Map<String, Object> claims, List<String> required) {
        if (required.isEmpty()) {
            return List.of();
        }
        Set<String> granted = granted(claims);
        List<String> missing = new ArrayList<>();
        for (String scope : required) {
            if (!granted.contains(scope)) {
                missing.add(scope);
            }
        }
        return missing;
    }
}
