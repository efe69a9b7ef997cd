package io.portico.gateway.proxy;

import static io.portico.config.HeaderNames.canonical;
import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.List;
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
    /**
     * Whether a node setting names a header with {@code _}, such as {@code X_Region}. A client's {@code X-Region}
     * is then an alias too, so every name is checked.
     */
    private final boolean configuredWithUnderscore;

    private UnderscoreAliases(Set<String> names, boolean configuredWithUnderscore) {
        this.names = Set.copyOf(names);
        this.configuredWithUnderscore = configuredWithUnderscore;
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
        boolean underscore = requestIdHeader.indexOf('_') >= 0;
        for (CharSequence name : identityHeaders.names()) {
            names.add(canonical(name.toString()));
            underscore |= name.toString().indexOf('_') >= 0;
        }
        return new UnderscoreAliases(names, underscore);
    }

    /**
     * Returns true when {@code name}, with each {@code _} read as {@code -}, equals the name of a header Portico
     * sets, ignoring case, and either {@code name} or a node setting spells that header with {@code _}. Unless a
     * node setting contains {@code _}, a name without {@code _} costs one scan and no allocation.
     */
    boolean matches(String name) {
        return (configuredWithUnderscore || name.indexOf('_') >= 0) && names.contains(canonical(name));
    }
}
