package io.portico.policy.auth.basic;

import io.portico.pipeline.AuthenticationPolicy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import io.portico.policy.auth.Unauthorized;
import io.vertx.core.http.HttpHeaders;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * Authenticates a request by {@code Authorization: Basic} (RFC 7617) with the credentials' usernames and bcrypt
 * password hashes. The slow hash runs on {@link PasswordChecker}'s worker pool while the request waits, paused;
 * a check that succeeded shortly before is taken from its cache at once. Whether the credential is disabled or
 * expired, or its consumer disabled, is checked on every request, so such a change applies at once.
 */
final class BasicAuthPolicy implements AuthenticationPolicy {

    private static final String BASIC = "Basic ";

    private final CredentialIndex index;
    private final AuthOptions options;
    private final PasswordChecker checker;
    private final String challenge;

    BasicAuthPolicy(CredentialIndex index, AuthOptions options, PasswordChecker checker) {
        this.index = index;
        this.options = options;
        this.checker = checker;
        this.challenge = Unauthorized.challenge("Basic", options.realm()) + ", charset=\"UTF-8\"";
    }

    @Override
    public String challenge() {
        return challenge;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        if (ctx.identity() != null) {
            chain.proceed(ctx);
            return;
        }
        String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null || authorization.length() < BASIC.length()
                || !authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
            options.noCredential(ctx, chain, challenge, "send a username and password with Authorization: Basic");
            return;
        }
        String pair = decode(authorization.substring(BASIC.length()).trim());
        int colon = pair == null ? -1 : pair.indexOf(':');
        if (colon < 0) {
            Unauthorized.malformed(ctx, challenge, "the Basic credentials must be base64 of UTF-8 'username:password'");
            return;
        }
        authenticate(ctx, chain, pair.substring(0, colon), pair.substring(colon + 1));
    }

    private void authenticate(RequestContext ctx, PolicyChain chain, String username, String password) {
        CredentialIndex.Entry entry = index.byUsername(username);
        String hash = entry == null ? null : entry.credential().passwordHash();
        if (entry != null && checker.remembered(username, password, hash)) {
            options.admit(ctx, chain, entry, challenge, BasicAuthPolicy::removeAuthorization);
            return;
        }
        // The body must not flow, and be lost, while the check runs: the backend resumes the request.
        ctx.pauseBody();
        checker.check(username, password, hash).onComplete(checked -> {
            if (checked.failed()) {
                Unauthorized.invalid(ctx, challenge, "the password check failed: " + checked.cause());
            } else if (!checked.result()) {
                Unauthorized.invalid(ctx, challenge, entry == null ? "unknown username" : "wrong password for "
                        + entry.credential().name());
            } else {
                options.admit(ctx, chain, entry, challenge, BasicAuthPolicy::removeAuthorization);
            }
        });
    }

    private static void removeAuthorization(RequestContext ctx) {
        ctx.request().headers().remove(HttpHeaders.AUTHORIZATION);
        ctx.credentialHeaderRemoved(HttpHeaders.AUTHORIZATION);
    }

    /** Decodes base64 text to a UTF-8 string; null when it is not valid base64 or not valid UTF-8. */
    private static String decode(String base64) {
        try {
            byte[] bytes = Base64.getDecoder().decode(base64);
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return null;
        }
    }
}
