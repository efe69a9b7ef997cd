package io.portico.policy.auth.bearer;

import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import java.util.List;

/**
 * The responses of bearer token policies (RFC 6750 section 3). The detail never states why a token was rejected,
 * so a caller cannot probe which check failed. The policy logs the reason at DEBUG.
 */
public final class Challenges {

    /** The challenge sent with a 401 for a request that carries no token. */
    public static final String MISSING = "Bearer";

    private Challenges() {
    }

    /** Responds with 401 to a request that carries no token. */
    public static void missing(RequestContext ctx) {
        ctx.response().putHeader("www-authenticate", MISSING);
        ctx.fail(ProblemType.UNAUTHORIZED, "a bearer token is required");
    }

    /** Responds with 401 to a request whose token is invalid, expired, unknown or maps to no enabled consumer. */
    public static void invalid(RequestContext ctx) {
        ctx.response().putHeader("www-authenticate", "Bearer error=\"invalid_token\"");
        ctx.fail(ProblemType.UNAUTHORIZED, "the bearer token is invalid");
    }

    /** Responds with 403 to a request whose valid token lacks some of the {@code required} scopes. */
    public static void insufficientScope(RequestContext ctx, List<String> required) {
        ctx.response().putHeader("www-authenticate", "Bearer error=\"insufficient_scope\", scope=\""
                + String.join(" ", required) + "\"");
        ctx.fail(ProblemType.FORBIDDEN, "the bearer token lacks a required scope");
    }

    /** Responds with 503 when the token cannot be checked because the key set or the authorization server failed. */
    public static void unavailable(RequestContext ctx, String detail) {
        ctx.response().putHeader("retry-after", "5");
        ctx.fail(ProblemType.AUTHENTICATION_UNAVAILABLE, detail);
    }
}
