package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.AccountStore;
import io.portico.store.AdminUser;
import io.portico.store.AuditContext;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The caller's own account under {@code /me}: who the caller is, and for admin users their personal tokens and
 * password. Viewers read only, so they get their tokens from an admin.
 */
final class MeApi {

    private final Vertx vertx;
    private final AccountStore accounts;
    private final UsersApi users;

    MeApi(Vertx vertx, AccountStore accounts, UsersApi users) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.accounts = requireNonNull(accounts, "accounts");
        this.users = requireNonNull(users, "users");
    }

    /** Adds the routes below {@code base}. */
    void mount(AdminRoutes routes, String base) {
        String me = base + "/me";
        routes.get(me, Access.AUTHENTICATED, this::whoAmI);
        routes.get(me + "/tokens", Access.AUTHENTICATED, ctx -> users.listTokens(ctx, userName(ctx)));
        routes.post(me + "/tokens", Access.SELF_SERVICE, ctx -> users.createToken(ctx, userName(ctx)));
        routes.delete(me + "/tokens/:id", Access.SELF_SERVICE, ctx -> users.deleteToken(ctx, userName(ctx)));
        routes.put(me + "/password", Access.SELF_SERVICE, this::changePassword);
    }

    private void whoAmI(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("actor", principal.actor());
        body.put("user", principal.user());
        body.put("role", principal.role().label());
        body.put("team", principal.team());
        Exchange.sendJson(ctx, 200, body);
    }

    /**
     * Sets the caller's password. A caller who has a password must send it as {@code currentPassword}, so that a
     * leaked personal token alone cannot take the account over.
     */
    private void changePassword(RoutingContext ctx) {
        String name = userName(ctx);
        ObjectNode request = Exchange.jsonObject(ctx);
        String password = request.path("password").isTextual() ? request.get("password").asText() : null;
        String current = request.path("currentPassword").isTextual() ? request.get("currentPassword").asText() : null;
        Errors errors = new Errors();
        errors.required(password, "password");
        UsersApi.checkPassword(password, errors);
        errors.throwIfAny();
        AuditContext audit = RequestIds.auditContext(ctx);
        vertx.executeBlocking(() -> {
            AdminUser user = accounts.user(name).orElseThrow(() -> new Problem(ProblemType.NOT_FOUND,
                    "users/" + name + " does not exist"));
            if (user.passwordHash() != null && !Passwords.matches(current, user.passwordHash())) {
                throw new Problem(ProblemType.FORBIDDEN, "currentPassword does not match the password of " + name);
            }
            accounts.updateUser(new AdminUser(name, user.role(), user.team(), Passwords.hash(password),
                    user.createdAt(), Instant.now().truncatedTo(ChronoUnit.MICROS)), audit);
            return null;
        }, false).onSuccess(done -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
    }

    /** Returns the caller's user name; the admin token is no user and has no tokens or password. */
    private static String userName(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        if (principal.user() == null) {
            throw new Problem(ProblemType.NOT_FOUND, principal.actor() + " is the admin token, not an admin user:"
                    + " it has no personal tokens or password");
        }
        return principal.user();
    }
}
