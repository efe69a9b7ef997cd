package io.portico.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConfigSnapshot;
import io.portico.config.CredentialLookups;
import io.portico.config.CredentialSpec;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.RouteSpec;
import io.portico.config.ServiceSpec.UpstreamTls;
import io.portico.config.ValidationException;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides which resources a caller sees and may change, with teams as tenants.
 *
 * <ul>
 *   <li>Platform admins, and viewers of no team, see every resource.</li>
 *   <li>A member of a team sees the resources of team-owned kinds that belong to the team, the team itself, and
 *       every resource of the kinds that belong to no team (models, certificates). Other resources do not exist
 *       for them: reads answer 404 and lists leave them out.</li>
 *   <li>A member writes only resources of the member's team. A new resource without a {@code team} joins it.</li>
 *   <li>A member's route may use only the team's services and APIs, and a credential or subscription only a
 *       consumer of the team.</li>
 *   <li>A member's route may not match a request that a route of another team could match, and its {@code oauth}
 *       section may not use another team's issuer, so that no team receives another team's traffic.</li>
 * </ul>
 */
final class Tenancy {

    /** The fields of a service's {@code tls} that take inline PEM text or the path of a file on the node. */
    private static final List<String> NODE_FILE_FIELDS = List.of("caCertificate", "clientCertificate", "clientKey");

    /** A reference from a field of one kind to a resource of another, which must be the caller's team's. */
    private record OwnedReference(ResourceKind<?> kind, String field, ResourceKind<?> target, String noun) {
    }

    private static final List<OwnedReference> OWNED_REFERENCES = List.of(
            new OwnedReference(ResourceKinds.ROUTES, "service", ResourceKinds.SERVICES, "service"),
            new OwnedReference(ResourceKinds.ROUTES, "api", ResourceKinds.APIS, "API"),
            new OwnedReference(ResourceKinds.CREDENTIALS, "consumer", ResourceKinds.CONSUMERS, "consumer"),
            new OwnedReference(ResourceKinds.SUBSCRIPTIONS, "consumer", ResourceKinds.CONSUMERS, "consumer"));

    private Tenancy() {
    }

    /** Returns true for callers who see the resources of every team. */
    static boolean seesAllTeams(Principal principal) {
        return principal.role() == Role.PLATFORM_ADMIN || principal.role() == Role.VIEWER && principal.team() == null;
    }

    /** Returns true when {@code principal} may see {@code resource}. */
    static boolean sees(Principal principal, ResourceKind<?> kind, Resource resource, ConfigSnapshot snapshot) {
        if (seesAllTeams(principal)) {
            return true;
        }
        if (kind == ResourceKinds.TEAMS) {
            return resource.name().equals(principal.team());
        }
        if (!kind.teamOwned()) {
            return true;
        }
        return principal.team() != null && principal.team().equals(teamOf(kind, resource.spec(), snapshot));
    }

    /**
     * Returns the team that owns a specification: its {@code team} field, or for credentials and subscriptions
     * without one, their consumer's team in {@code snapshot}.
     */
    static String teamOf(ResourceKind<?> kind, JsonNode spec, ConfigSnapshot snapshot) {
        String team = kind.teamOf(spec);
        if (team != null || kind != ResourceKinds.CREDENTIALS && kind != ResourceKinds.SUBSCRIPTIONS) {
            return team;
        }
        String consumer = spec.path("consumer").asText(null);
        return consumer == null || !snapshot.consumers().containsKey(consumer) ? null
                : snapshot.consumers().get(consumer).team();
    }

    /** Puts the caller's team into a new specification of a team-owned kind that names no team. */
    static void claim(Principal principal, ResourceKind<?> kind, ObjectNode spec) {
        JsonNode team = spec.get(ResourceKind.TEAM_FIELD);
        if (!seesAllTeams(principal) && kind.teamOwned() && principal.team() != null
                && (team == null || team.isNull())) {
            spec.put(ResourceKind.TEAM_FIELD, principal.team());
        }
    }

    /**
     * Rejects a write by a team member to a resource that does not belong, or would not belong after the write,
     * to the member's team. A new resource whose name another team's resource already has gets 409 without that
     * team's name.
     *
     * @param before the stored specification, or null when the resource is created
     * @param after the new specification, or null when the resource is deleted
     * @throws Problem 403 naming the team the caller may write
     */
    static void checkWrite(Principal principal, ResourceKind<?> kind, String name, ObjectNode before,
                           ObjectNode after, ConfigSnapshot snapshot) {
        if (principal.role() == Role.PLATFORM_ADMIN) {
            return;
        }
        for (ObjectNode spec : new ObjectNode[] {after, before}) {
            if (spec != null && spec == before && !sees(principal, kind,
                    new Resource(kind.name(), name, before, 0, Instant.EPOCH), snapshot)) {
                throw new Problem(ProblemType.CONFLICT, "the name '" + name + "' is already in use among "
                        + kind.name() + "; choose another name");
            }
            if (spec != null && !Objects.equals(principal.team(), teamOf(kind, spec, snapshot))) {
                throw new Problem(ProblemType.FORBIDDEN, principal.actor() + " may change only " + kind.name()
                        + " of team " + principal.team() + ", and " + kind.name() + "/" + name
                        + (spec == before ? " belongs to " : " would belong to ")
                        + describe(teamOf(kind, spec, snapshot)));
            }
        }
    }

    /**
     * Rejects a service of a caller other than a platform admin whose {@code tls} names a file on the node for a
     * certificate or key, unless the stored service names the same file. Such a file may hold the client identity of
     * the gateway or of another team, and the caller chooses the targets that would receive it. Inline PEM text and
     * the masked hint of a stored key are accepted.
     *
     * @throws ValidationException naming the field
     */
    static void checkNodeFiles(Principal principal, ResourceKind<?> kind, ObjectNode before, ObjectNode after) {
        if (principal.role() == Role.PLATFORM_ADMIN || kind != ResourceKinds.SERVICES || after == null) {
            return;
        }
        for (String field : NODE_FILE_FIELDS) {
            JsonNode value = after.path("tls").path(field);
            JsonNode stored = before == null ? null : before.path("tls").path(field);
            if (value.isTextual() && UpstreamTls.namesFile(value.asText()) && !value.equals(stored)) {
                throw new ValidationException("tls." + field, "names a file on the node, which only platform admins"
                        + " may do; give the PEM text instead");
            }
        }
    }

    /**
     * Rejects a team member's resource that refers to another team's service, API or consumer, with the message of
     * a reference to a resource that does not exist, so that other teams' names stay hidden.
     *
     * @throws ValidationException naming the field
     */
    static void checkReferences(Principal principal, ResourceKind<?> kind, ObjectNode spec, ConfigSnapshot snapshot) {
        if (seesAllTeams(principal)) {
            return;
        }
        for (OwnedReference reference : OWNED_REFERENCES) {
            String target = reference.kind() == kind ? spec.path(reference.field()).asText(null) : null;
            Resource resource = target == null ? null : snapshot.find(reference.target().name(), target);
            if (resource != null && !sees(principal, reference.target(), resource, snapshot)) {
                throw new ValidationException(reference.field(), "refers to " + reference.noun() + " '" + target
                        + "', which does not exist");
            }
        }
    }

    /**
     * Rejects a route of a team member that could match a request that a route of another team could match (see
     * {@link RouteOverlap}), or whose {@code oauth} section uses the issuer of another team's authorization server.
     * Routes without a team are not compared.
     *
     * @throws Problem 409 naming the conflicting route when the caller may see it
     */
    static void checkRouteOverlap(Principal principal, String name, ObjectNode spec, ConfigSnapshot snapshot) {
        if (principal.role() == Role.PLATFORM_ADMIN) {
            return;
        }
        RouteSpec route = ResourceKinds.ROUTES.parse(spec);
        String team = teamOf(ResourceKinds.ROUTES, spec, snapshot);
        snapshot.routes().forEach((otherName, other) -> {
            String otherTeam = snapshot.teamOf(ResourceKinds.ROUTES, otherName);
            if (otherName.equals(name) || otherTeam == null || otherTeam.equals(team)) {
                return;
            }
            String reason = RouteOverlap.overlaps(route, other) ? "could match the same requests as"
                    : sameIssuer(route, other) ? "uses the OAuth issuer of" : null;
            if (reason != null) {
                Resource resource = snapshot.find(ResourceKinds.ROUTES.name(), otherName);
                String conflicting = sees(principal, ResourceKinds.ROUTES, resource, snapshot)
                        ? "route " + otherName + " of team " + otherTeam : "a route of another team";
                throw new Problem(ProblemType.CONFLICT, "routes/" + name + " " + reason + " " + conflicting
                        + "; choose hosts, paths or methods that no other team's route matches, or ask a platform"
                        + " admin to create the route");
            }
        });
    }

    private static boolean sameIssuer(RouteSpec route, RouteSpec other) {
        return route.oauth() != null && other.oauth() != null
                && Objects.equals(route.oauth().issuer(), other.oauth().issuer());
    }

    /**
     * Rejects a credential whose look-up value, such as an API key or a username, a credential that the caller
     * does not see already has. The message names neither that credential nor its team; a credential the caller
     * sees is reported by the configuration's own uniqueness check, which names it.
     *
     * @throws ValidationException naming the credential's field
     */
    static void checkLookups(Principal principal, String name, ObjectNode spec, ConfigSnapshot snapshot) {
        if (seesAllTeams(principal)) {
            return;
        }
        List<CredentialLookups.Lookup> lookups = CredentialLookups.of(ResourceKinds.CREDENTIALS.parse(spec));
        for (Map.Entry<String, CredentialSpec> other : snapshot.credentials().entrySet()) {
            if (other.getKey().equals(name)) {
                continue;
            }
            for (CredentialLookups.Lookup taken : CredentialLookups.of(other.getValue())) {
                for (CredentialLookups.Lookup lookup : lookups) {
                    Resource owner = snapshot.find(ResourceKinds.CREDENTIALS.name(), other.getKey());
                    if (lookup.value().equals(taken.value())
                            && !sees(principal, ResourceKinds.CREDENTIALS, owner, snapshot)) {
                        throw new ValidationException(lookup.field(), "this " + lookup.noun() + " is already in use"
                                + " by another credential; choose another");
                    }
                }
            }
        }
    }

    private static String describe(String team) {
        return team == null ? "no team" : "team " + team;
    }
}
