package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.ValidationException;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.AccountStore;
import io.portico.store.AdminApiToken;
import io.portico.store.AdminUser;
import io.portico.store.AuditContext;
import io.portico.store.ConflictException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * Admin users and their personal tokens under {@code /users}. Platform admins manage every user. Team admins
 * manage the users of their team, who may not become platform admins or leave the team, and other users do not
 * exist for them. A new token is returned once, in the creation response, and only its hash is stored.
 */
final class UsersApi {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
    private static final Set<String> USER_FIELDS = Set.of("name", "role", "team", "password");
    private static final Set<String> TOKEN_FIELDS = Set.of("description", "expiresAt");
    private static final int MAX_DESCRIPTION_LENGTH = 256;

    private final Vertx vertx;
    private final AccountStore accounts;
    private final SnapshotSource snapshots;

    UsersApi(Vertx vertx, AccountStore accounts, SnapshotSource snapshots) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.accounts = requireNonNull(accounts, "accounts");
        this.snapshots = requireNonNull(snapshots, "snapshots");
    }

    /** Adds the routes below {@code base}. */
    void mount(AdminRoutes routes, String base) {
        String users = base + "/users";
        routes.get(users, Access.USER_READERS, this::list);
        routes.post(users, Access.USER_ADMINS, this::create);
        routes.get(users + "/:name", Access.USER_READERS, this::get);
        routes.patch(users + "/:name", Access.USER_ADMINS, this::patch);
        routes.delete(users + "/:name", Access.USER_ADMINS, this::delete);
        routes.get(users + "/:name/tokens", Access.USER_READERS, ctx -> listTokens(ctx, ctx.pathParam("name")));
        routes.post(users + "/:name/tokens", Access.USER_ADMINS, ctx -> createToken(ctx, ctx.pathParam("name")));
        routes.delete(users + "/:name/tokens/:id", Access.USER_ADMINS,
                ctx -> deleteToken(ctx, ctx.pathParam("name")));
    }

    /** Sends the tokens of {@code name}, which must be visible to the caller. */
    void listTokens(RoutingContext ctx, String name) {
        Principal principal = Principal.of(ctx);
        blocking(ctx, () -> {
            visibleUser(principal, name);
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            ArrayNode items = body.putArray("items");
            accounts.tokens(name).forEach(token -> items.add(token.toJson()));
            return body;
        }, 200);
    }

    /** Creates a personal token of {@code name} and sends it once. */
    void createToken(RoutingContext ctx, String name) {
        Principal principal = Principal.of(ctx);
        ObjectNode request = Exchange.jsonObject(ctx);
        Errors errors = new Errors();
        unknownFields(request, TOKEN_FIELDS, errors);
        String description = text(request, "description");
        errors.check(description == null || description.length() <= MAX_DESCRIPTION_LENGTH, "description",
                "must be at most " + MAX_DESCRIPTION_LENGTH + " characters long");
        Instant expiresAt = instant(request, "expiresAt", errors);
        errors.throwIfAny();
        AuditContext audit = RequestIds.auditContext(ctx);
        blocking(ctx, () -> {
            writableUser(principal, name);
            ApiTokens.NewToken token = ApiTokens.generate();
            AdminApiToken stored = new AdminApiToken(token.id(), name, token.hash(), description,
                    Instant.now().truncatedTo(ChronoUnit.MICROS), expiresAt);
            accounts.createToken(stored, audit);
            ObjectNode body = stored.toJson();
            body.put("token", token.value());
            return body;
        }, 201);
    }

    /** Deletes the token in the path from {@code name}'s tokens. */
    void deleteToken(RoutingContext ctx, String name) {
        Principal principal = Principal.of(ctx);
        String id = ctx.pathParam("id");
        AuditContext audit = RequestIds.auditContext(ctx);
        blocking(ctx, () -> {
            writableUser(principal, name);
            accounts.deleteToken(name, id, audit);
            return null;
        }, 204);
    }

    private void list(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        blocking(ctx, () -> {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            ArrayNode items = body.putArray("items");
            accounts.users().stream().filter(user -> sees(principal, user)).forEach(user -> items.add(user.toJson()));
            return body;
        }, 200);
    }

    private void get(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        String name = ctx.pathParam("name");
        blocking(ctx, () -> visibleUser(principal, name).toJson(), 200);
    }

    private void create(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        ObjectNode request = Exchange.jsonObject(ctx);
        Errors errors = new Errors();
        unknownFields(request, USER_FIELDS, errors);
        String name = text(request, "name");
        errors.required(name, "name");
        errors.check(name == null || NAME.matcher(name).matches(), "name",
                "must be 1-128 letters, digits, '.', '_', '@' or '-', starting with a letter or digit");
        String role = text(request, "role");
        String team = request.hasNonNull("team") ? text(request, "team")
                : principal.role() == Role.TEAM_ADMIN ? principal.team() : null;
        String password = text(request, "password");
        checkUser(principal, role, team, errors);
        checkPassword(password, errors);
        errors.throwIfAny();
        AuditContext audit = RequestIds.auditContext(ctx);
        blocking(ctx, () -> {
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            AdminUser user = new AdminUser(name, role, team, password == null ? null : Passwords.hash(password),
                    now, now);
            try {
                accounts.createUser(user, audit);
            } catch (ConflictException e) {
                // The existing user may belong to a team the caller does not see, so the message names no team.
                throw new Problem(ProblemType.CONFLICT, "the name '" + name + "' is already in use; choose another"
                        + " name");
            }
            ctx.response().putHeader(HttpHeaders.LOCATION, AdminServer.BASE_PATH + "/users/" + name);
            return user.toJson();
        }, 201);
    }

    /** Changes role, team or password; {@code "password": null} removes the password. */
    private void patch(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        String name = ctx.pathParam("name");
        ObjectNode request = Exchange.jsonObject(ctx);
        AuditContext audit = RequestIds.auditContext(ctx);
        blocking(ctx, () -> {
            AdminUser current = writableUser(principal, name);
            Errors errors = new Errors();
            unknownFields(request, USER_FIELDS, errors);
            errors.check(!request.has("name") || name.equals(text(request, "name")), "name",
                    "cannot change; create a new user instead");
            String role = request.has("role") ? text(request, "role") : current.role();
            String team = request.has("team") ? text(request, "team") : current.team();
            checkUser(principal, role, team, errors);
            String password = text(request, "password");
            checkPassword(password, errors);
            errors.throwIfAny();
            String hash = !request.has("password") ? current.passwordHash()
                    : password == null ? null : Passwords.hash(password);
            AdminUser changed = new AdminUser(name, role, team, hash, current.createdAt(),
                    Instant.now().truncatedTo(ChronoUnit.MICROS));
            accounts.updateUser(changed, audit);
            return changed.toJson();
        }, 200);
    }

    private void delete(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        String name = ctx.pathParam("name");
        AuditContext audit = RequestIds.auditContext(ctx);
        blocking(ctx, () -> {
            writableUser(principal, name);
            accounts.deleteUser(name, audit);
            return null;
        }, 204);
    }

    /** Checks a user's role and team against each other, the teams in the configuration and the caller. */
    private void checkUser(Principal principal, String roleLabel, String team, Errors errors) {
        Role role = roleLabel == null ? null : Role.of(roleLabel).orElse(null);
        if (principal.role() != Role.PLATFORM_ADMIN
                && (role == Role.PLATFORM_ADMIN || !principal.team().equals(team))) {
            throw new Problem(ProblemType.FORBIDDEN, principal.actor() + " may manage only users of team "
                    + principal.team() + " with the roles team-admin, developer and viewer");
        }
        errors.check(role != null, "role", "must be one of " + Role.labels());
        if (role == Role.PLATFORM_ADMIN) {
            errors.check(team == null, "team", "must be absent for a platform-admin, who belongs to no team");
        } else if (role == Role.TEAM_ADMIN || role == Role.DEVELOPER) {
            errors.check(team != null, "team", "is required for a " + roleLabel);
        }
        if (team != null && !snapshots.current().teams().containsKey(team)) {
            errors.add("team", "refers to team '" + team + "', which does not exist");
        }
    }

    /** Checks a new password, when one is given. */
    static void checkPassword(String password, Errors errors) {
        String weakness = password == null ? null : Passwords.weakness(password);
        errors.check(weakness == null, "password", weakness);
    }

    /** Returns true when {@code principal} may see {@code user}: always itself. */
    private static boolean sees(Principal principal, AdminUser user) {
        return user.name().equals(principal.user()) || Tenancy.seesAllTeams(principal)
                || principal.role() == Role.TEAM_ADMIN && principal.team().equals(user.team());
    }

    private AdminUser visibleUser(Principal principal, String name) {
        return accounts.user(name).filter(user -> sees(principal, user)).orElseThrow(() ->
                new Problem(ProblemType.NOT_FOUND, "users/" + name + " does not exist"));
    }

    /** Returns a user the caller may change; the route's {@link Access} has already let the caller's role in. */
    private AdminUser writableUser(Principal principal, String name) {
        return visibleUser(principal, name);
    }

    private static void unknownFields(ObjectNode request, Set<String> known, Errors errors) {
        request.fieldNames().forEachRemaining(field -> errors.check(known.contains(field), field, "unknown field '"
                + field + "'"));
    }

    private static String text(ObjectNode request, String field) {
        JsonNode value = request.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ValidationException(field, "must be a string");
        }
        return value.asText();
    }

    private static Instant instant(ObjectNode request, String field, Errors errors) {
        String value = text(request, field);
        if (value == null) {
            return null;
        }
        try {
            Instant instant = Instant.parse(value);
            errors.check(instant.isAfter(Instant.now()), field, "must be in the future");
            return instant;
        } catch (DateTimeParseException e) {
            errors.add(field, "must be an RFC 3339 instant such as 2027-01-31T12:00:00Z");
            return null;
        }
    }

    private void blocking(RoutingContext ctx, Callable<ObjectNode> work, int status) {
        vertx.executeBlocking(work, false).onSuccess(body -> {
            if (body == null) {
                ctx.response().setStatusCode(status).end();
            } else {
                Exchange.sendJson(ctx, status, body);
            }
        }).onFailure(ctx::fail);
    }
}
