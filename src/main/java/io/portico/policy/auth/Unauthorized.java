package io.portico.policy.auth;

import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a request with 401 and a {@code WWW-Authenticate} challenge. A rejected credential gets the same detail
 * whether it was unknown, wrong, expired or disabled, or its consumer disabled, so the response reveals nothing
 * about which credentials exist. The reason goes to the DEBUG log only, never with the credential itself.
 */
public final class Unauthorized {

    private static final Logger LOG = LoggerFactory.getLogger(Unauthorized.class);
    private static final String INVALID = "the credentials are not valid";

    private Unauthorized() {
    }

    /** Rejects a request that carries no credential of the policy's kind; {@code detail} names what is expected. */
    public static void missing(RequestContext ctx, String challenge, String detail) {
        LOG.debug("Request {} rejected: no credential; {}", ctx.requestId(), detail);
        send(ctx, challenge, detail);
    }

    /** Rejects a request whose credential is unknown, wrong, expired or disabled; {@code reason} is only logged. */
    public static void invalid(RequestContext ctx, String challenge, String reason) {
        LOG.debug("Request {} rejected: {}", ctx.requestId(), reason);
        send(ctx, challenge, INVALID);
    }

    /**
     * Rejects a request whose credential is malformed or out of date in a way the caller must fix, such as a
     * signature date outside the allowed clock skew; {@code detail} names the problem, without the credential itself.
     */
    public static void malformed(RequestContext ctx, String challenge, String detail) {
        LOG.debug("Request {} rejected: {}", ctx.requestId(), detail);
        send(ctx, challenge, detail);
    }

    private static void send(RequestContext ctx, String challenge, String detail) {
        ctx.response().putHeader("WWW-Authenticate", challenge);
        ctx.fail(ProblemType.UNAUTHORIZED, detail);
    }

    /** Returns a challenge of {@code scheme} with a quoted realm, such as {@code Basic realm="portico"}. */
    public static String challenge(String scheme, String realm) {
        return scheme + " realm=\"" + realm + "\"";
    }
}
