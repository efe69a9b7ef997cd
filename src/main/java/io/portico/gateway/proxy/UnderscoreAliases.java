package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The request headers whose values Portico sets for the upstream, and the check that drops a client header that
 * spells one of them with {@code _} in place of {@code -}. CGI and WSGI servers (PHP-FPM, Python WSGI servers)
 * turn both characters into {@code _} when they map headers to {@code HTTP_*} variables, so a client's
 * {@code X_Consumer_Name: admin} would reach such an upstream beside, or instead of, the real
 * {@code X-Consumer-Name}. nginx drops header names with {@code _} by default for the same reason.
 */
public final class UnderscoreAliases {

    private static final List<String> FORWARDING = List.of("X-Forwarded-For", "X-Forwarded-Proto",
            "X-Forwarded-Host", "X-Forwarded-Port", "Forwarded");

    /** Lower-case names, as they read with every {@code _} replaced by {@code -}. */
    private final Set<String> names;

    private UnderscoreAliases(Set<String> names) {
        this.names = Set.copyOf(names);
    }

    /**
     * Returns the aliases of the headers Portico sets on every proxied request: the forwarding headers, the
     * request id header and the identity headers.
     */
    public static UnderscoreAliases of(String requestIdHeader, IdentityHeaders identityHeaders) {
        requireNonNull(requestIdHeader, "requestIdHeader");
        Set<String> names = new HashSet<>();
        FORWARDING.forEach(name -> names.add(canonical(name)));
        names.add(canonical(requestIdHeader));
        identityHeaders.names().forEach(name -> names.add(canonical(name.toString())));
        return new UnderscoreAliases(names);
    }

    /**
     * Returns true when {@code name} contains {@code _} and, with each {@code _} read as {@code -}, equals the name
     * of a header Portico sets, ignoring case. A name without {@code _} costs one scan and no allocation.
     */
    boolean matches(String name) {
        return name.indexOf('_') >= 0 && names.contains(canonical(name));
    }

    private static String canonical(String name) {
        return name.replace('_', '-').toLowerCase(Locale.ROOT);
    }
}
