package io.portico.admin;

import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Lets a request through only when it carries {@code Authorization: Bearer <token>} with the admin token, and
 * rejects any other request with 401 and a {@code WWW-Authenticate} challenge.
 *
 * <p>Both tokens are hashed before {@link MessageDigest#isEqual}, so the comparison takes the same time
 * whatever the presented token's length and content.
 */
final class BearerAuthHandler implements Handler<RoutingContext> {

    private static final String SCHEME = "Bearer ";
    private static final String CHALLENGE = "Bearer realm=\"portico-admin\"";
    /** The name that records of changes give to a holder of the admin token. */
    static final String ACTOR = "admin-token";

    private final byte[] expectedDigest;

    BearerAuthHandler(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the admin token must not be empty");
        }
        this.expectedDigest = sha256(token);
    }

    @Override
    public void handle(RoutingContext ctx) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            reject(ctx, CHALLENGE, "send the admin token as 'Authorization: Bearer <token>'");
            return;
        }
        byte[] presented = sha256(header.substring(SCHEME.length()).trim());
        if (!MessageDigest.isEqual(presented, expectedDigest)) {
            reject(ctx, CHALLENGE + ", error=\"invalid_token\"", "the bearer token is not the admin token");
            return;
        }
        ctx.put(Exchange.ACTOR, ACTOR);
        ctx.next();
    }

    private static void reject(RoutingContext ctx, String challenge, String detail) {
        ctx.response().putHeader("WWW-Authenticate", challenge);
        new Problem(ProblemType.UNAUTHORIZED, detail).send(ctx.response(), null);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
