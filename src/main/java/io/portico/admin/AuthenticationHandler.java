package io.portico.admin;

import static java.util.Objects.requireNonNull;

import io.portico.net.IpAddress;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.AccountStore;
import io.portico.store.AdminApiToken;
import io.portico.store.AdminUser;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Establishes who sends an admin request and attaches the {@link Principal}, or rejects the request with 401 and a
 * {@code WWW-Authenticate} challenge. Accepted credentials:
 *
 * <table>
 *   <caption>Credentials</caption>
 *   <tr><th>Header</th><th>Principal</th></tr>
 *   <tr><td>{@code Bearer} with the admin token</td><td>{@link Principal#BOOTSTRAP}, a platform admin</td></tr>
 *   <tr><td>{@code Bearer} with a personal token that is stored and not expired</td><td>its user</td></tr>
 *   <tr><td>{@code Basic} with a user's name and password</td><td>that user</td></tr>
 * </table>
 *
 * <p>The admin token is compared as a SHA-256 digest with {@link MessageDigest#isEqual}, personal tokens by their
 * stored hash, and passwords with Argon2id, which also runs for unknown users so that timing does not tell which
 * names exist. Store lookups and password checks run on worker threads. Failed passwords are counted per account
 * name and per client address (per /64 network for IPv6) by {@link SignInThrottle}. While either is locked,
 * password sign-ins get 429 with {@code Retry-After} and no password is checked.
 */
final class AuthenticationHandler implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger(AuthenticationHandler.class);
    private static final String BEARER = "Bearer ";
    private static final String BASIC = "Basic ";
    /** The prefix length of the IPv6 networks whose failed sign-ins count together. */
    private static final int IPV6_PREFIX = 64;
    private static final String CHALLENGE = "Bearer realm=\"portico-admin\", Basic realm=\"portico-admin\"";
    private static final String INVALID_TOKEN = "Bearer realm=\"portico-admin\", error=\"invalid_token\"";

    private final Vertx vertx;
    private final byte[] bootstrapDigest;
    private final AccountStore accounts;
    private final SignInThrottle throttle;

    AuthenticationHandler(Vertx vertx, String bootstrapToken, AccountStore accounts) {
        this(vertx, bootstrapToken, accounts, new SignInThrottle());
    }

    AuthenticationHandler(Vertx vertx, String bootstrapToken, AccountStore accounts, SignInThrottle throttle) {
        if (bootstrapToken == null || bootstrapToken.isBlank()) {
            throw new IllegalArgumentException("the admin token must not be empty");
        }
        this.vertx = requireNonNull(vertx, "vertx");
        this.bootstrapDigest = ApiTokens.sha256(bootstrapToken);
        this.accounts = requireNonNull(accounts, "accounts");
        this.throttle = requireNonNull(throttle, "throttle");
    }

    @Override
    public void handle(RoutingContext ctx) {
        // The body handler after this one resumes the request. Until then the body waits in the paused request,
        // because a store lookup may complete after the client sent it.
        ctx.request().pause();
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            bearer(ctx, header.substring(BEARER.length()).trim());
        } else if (header != null && header.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
            basic(ctx, header.substring(BASIC.length()).trim());
        } else {
            reject(ctx, CHALLENGE, "send 'Authorization: Bearer <token>' with the admin token or a personal token,"
                    + " or 'Authorization: Basic' with a user name and password");
        }
    }

    private void bearer(RoutingContext ctx, String token) {
        if (MessageDigest.isEqual(ApiTokens.sha256(token), bootstrapDigest)) {
            accept(ctx, Principal.BOOTSTRAP);
            return;
        }
        Optional<String> id = ApiTokens.idOf(token);
        if (id.isEmpty()) {
            reject(ctx, INVALID_TOKEN, "the bearer token is neither the admin token nor a personal token");
            return;
        }
        String hash = ApiTokens.hash(token);
        lookup(ctx, () -> accounts.token(id.get())
                .filter(stored -> ApiTokens.sameHash(stored.tokenHash(), hash))
                .filter(stored -> stored.expiresAt() == null || Instant.now().isBefore(stored.expiresAt()))
                .map(AdminApiToken::user)
                .flatMap(accounts::user), INVALID_TOKEN, "the personal token is unknown, revoked or expired");
    }

    private void basic(RoutingContext ctx, String encoded) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            reject(ctx, CHALLENGE, "the Basic credentials are not valid base64");
            return;
        }
        int colon = decoded.indexOf(':');
        if (colon < 1) {
            reject(ctx, CHALLENGE, "the Basic credentials must be 'name:password' in base64");
            return;
        }
        String name = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        String address = throttleAddress(ctx.request().remoteAddress() == null ? null
                : ctx.request().remoteAddress().hostAddress());
        Duration locked = throttle.lockedFor(name, address);
        if (!locked.isZero()) {
            tooManyFailures(ctx, locked);
            return;
        }
        lookup(ctx, () -> {
            Optional<AdminUser> user = accounts.user(name);
            boolean valid = Passwords.matches(password, user.map(AdminUser::passwordHash).orElse(null));
            if (valid) {
                throttle.succeeded(name);
                return user;
            }
            throttle.failed(name, address);
            return Optional.<AdminUser>empty();
        }, CHALLENGE, "the user name or password is not valid");
    }

    /**
     * Returns the client address under which failed sign-ins are counted: an IPv4 address itself, or the /64
     * network of an IPv6 address. A /64 is usually one subscriber's, so a new address per attempt does not help.
     */
    static String throttleAddress(String hostAddress) {
        IpAddress parsed = hostAddress == null ? null : IpAddress.parse(hostAddress);
        if (parsed == null) {
            return hostAddress == null ? "unknown" : hostAddress;
        }
        return parsed.networkText(IPV6_PREFIX);
    }

    private static void tooManyFailures(RoutingContext ctx, Duration locked) {
        long seconds = Math.max(1, (locked.toMillis() + 999) / 1000);
        ctx.request().resume();
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        new Problem(ProblemType.RATE_LIMITED, "too many failed password sign-ins for this account or from this"
                + " address; retry after " + seconds + " s, or sign in with a personal token").send(ctx.response(),
                null);
    }

    /** Looks the user up on a worker thread and continues with it, or rejects the request. */
    private void lookup(RoutingContext ctx, Callable<Optional<AdminUser>> find,
                        String challenge, String detail) {
        vertx.executeBlocking(find, false).onComplete(result -> {
            if (result.failed()) {
                ctx.request().resume();
                ctx.fail(result.cause());
                return;
            }
            Optional<Principal> principal = result.result().flatMap(AuthenticationHandler::principalOf);
            if (principal.isEmpty()) {
                reject(ctx, challenge, detail);
                return;
            }
            accept(ctx, principal.get());
        });
    }

    private static Optional<Principal> principalOf(AdminUser user) {
        Optional<Role> role = Role.of(user.role());
        if (role.isEmpty()) {
            LOG.warn("Admin user {} has the unknown role '{}' in the store and cannot sign in; set a valid role",
                    user.name(), user.role());
        }
        return role.map(known -> Principal.user(user.name(), known, user.team()));
    }

    private static void accept(RoutingContext ctx, Principal principal) {
        principal.attach(ctx);
        ctx.next();
    }

    private static void reject(RoutingContext ctx, String challenge, String detail) {
        ctx.request().resume();
        ctx.response().putHeader("WWW-Authenticate", challenge);
        new Problem(ProblemType.UNAUTHORIZED, detail).send(ctx.response(), null);
    }
}
