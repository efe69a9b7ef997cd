package io.portico.admin;

import static java.util.Objects.requireNonNull;

import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The rule that decides which callers may call an admin route at all. Each route under {@code /admin/v1} is
 * registered with one through {@link AdminRoutes}. {@link Tenancy} then decides which teams' resources the caller
 * reads and changes.
 *
 * <table>
 *   <caption>Roles and what they may change</caption>
 *   <tr><th>Role</th><th>Changes</th></tr>
 *   <tr><td>platform-admin</td><td>everything</td></tr>
 *   <tr><td>team-admin</td><td>its team's services, providers, APIs, routes, consumers, credentials and
 *       subscriptions, and its team's admin users</td></tr>
 *   <tr><td>developer</td><td>its team's consumers, credentials and subscriptions</td></tr>
 *   <tr><td>viewer</td><td>nothing</td></tr>
 * </table>
 *
 * @param description who is allowed, for the 403 message and the OpenAPI document
 */
record Access(String description, Predicate<Principal> rule) {

    /** Any authenticated caller. */
    static final Access AUTHENTICATED = new Access("any admin user", principal -> true);
    /** Platform admins only. */
    static final Access PLATFORM_ADMIN = new Access("platform admins", principal ->
            principal.role() == Role.PLATFORM_ADMIN);
    /** Callers who may read the whole configuration: platform admins and viewers of no team. */
    static final Access WHOLE_CONFIG_READERS = new Access("platform admins and viewers of no team",
            principal -> principal.role() == Role.PLATFORM_ADMIN || Tenancy.seesAllTeams(principal));
    /** Callers who may read the audit log, team admins only their team's entries. */
    static final Access AUDIT_READERS = new Access("platform admins, team admins and viewers of no team",
            principal -> principal.role() == Role.TEAM_ADMIN || Tenancy.seesAllTeams(principal));
    /** Callers who may manage admin users, team admins only those of their team. */
    static final Access USER_ADMINS = new Access("platform admins and team admins", principal ->
            principal.role() == Role.PLATFORM_ADMIN || principal.role() == Role.TEAM_ADMIN);
    /** Callers who may read admin users. */
    static final Access USER_READERS = new Access("platform admins, team admins and viewers of no team",
            principal -> USER_ADMINS.allows(principal) || Tenancy.seesAllTeams(principal));
    /** Callers who may change their own tokens and password: every role but viewer. */
    static final Access SELF_SERVICE = new Access("every role but viewer", principal ->
            principal.role() != Role.VIEWER);

    private static final Set<ResourceKind<?>> DEVELOPER_KINDS =
            Set.of(ResourceKinds.CONSUMERS, ResourceKinds.CREDENTIALS, ResourceKinds.SUBSCRIPTIONS);

    Access {
        requireNonNull(description, "description");
        requireNonNull(rule, "rule");
    }

    boolean allows(Principal principal) {
        return rule.test(principal);
    }

    /** Returns who may read resources of {@code kind}: everyone, each seeing what {@link Tenancy} shows. */
    static Access read(ResourceKind<?> kind) {
        return AUTHENTICATED;
    }

    /** Returns who may create, change and delete resources of {@code kind}, within their team. */
    static Access write(ResourceKind<?> kind) {
        if (!kind.teamOwned()) {
            return PLATFORM_ADMIN;
        }
        if (DEVELOPER_KINDS.contains(kind)) {
            return new Access("platform admins, team admins and developers", principal ->
                    principal.role() != Role.VIEWER);
        }
        return USER_ADMINS;
    }
}
