package io.portico.policy.auth.key;

import io.portico.config.CredentialSecrets;
import io.portico.pipeline.AuthenticationPolicy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import io.portico.policy.auth.QueryParameters;
import io.portico.policy.auth.Unauthorized;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Authenticates a request by an API key, found in this order: the configured header, then
 * {@code Authorization: Bearer} when the token starts with {@value CredentialSecrets#KEY_PREFIX} (other bearer
 * tokens, such as JWTs, are left to other policies), then the configured query parameter. The key's SHA-256 is
 * looked up in the snapshot's {@link CredentialIndex}; only hashes are kept in memory.
 */
final class KeyAuthPolicy implements AuthenticationPolicy {

    private static final String BEARER = "Bearer ";

    private final CredentialIndex index;
    private final AuthOptions options;
    private final CharSequence header;
    private final String query;
    private final boolean bearer;
    private final String challenge;
    private final String expected;

    KeyAuthPolicy(CredentialIndex index, AuthOptions options, String header, String query, boolean bearer) {
        this.index = index;
        this.options = options;
        this.header = header == null ? null : HttpHeaders.createOptimized(header);
        this.query = query;
        this.bearer = bearer;
        this.challenge = Unauthorized.challenge("ApiKey", options.realm());
        this.expected = describe(header, query, bearer);
    }

    private static String describe(String header, String query, boolean bearer) {
        StringBuilder text = new StringBuilder("send an API key");
        String separator = " in ";
        if (header != null) {
            text.append(" in the ").append(header).append(" header");
            separator = " or ";
        }
        if (bearer) {
            text.append(separator).append("Authorization: Bearer");
            separator = " or ";
        }
        if (query != null) {
            text.append(separator).append("the ").append(query).append(" query parameter");
        }
        return text.toString();
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
        MultiMap headers = ctx.request().headers();
        String key = header == null ? null : headers.get(header);
        if (key == null && bearer) {
            key = bearerKey(headers.get(HttpHeaders.AUTHORIZATION));
        }
        if (key == null && query != null) {
            key = QueryParameters.first(ctx.request().uri(), query);
        }
        if (key == null) {
            options.noCredential(ctx, chain, challenge, expected);
            return;
        }
        authenticate(ctx, chain, key);
    }

    private void authenticate(RequestContext ctx, PolicyChain chain, String key) {
        byte[] hash = CredentialSecrets.sha256(key.getBytes(StandardCharsets.UTF_8));
        CredentialIndex.Entry entry = index.byKeyHash(HexFormat.of().formatHex(hash));
        // The map look-up found the entry by hash; the constant-time comparison keeps the final check free of
        // early exits all the same.
        if (entry == null || !MessageDigest.isEqual(hash, entry.keyHash())) {
            Unauthorized.invalid(ctx, challenge, "unknown API key");
            return;
        }
        options.admit(ctx, chain, entry, challenge, this::removeKeys);
    }

    /**
     * Removes every API key that this policy reads from the request sent upstream, not only the one that
     * authenticated it. A key sent twice, or another consumer's key beside the used one, thus never reaches the
     * upstream. An {@code Authorization} header with another scheme or a bearer token without the key prefix stays.
     */
    private void removeKeys(RequestContext ctx) {
        MultiMap headers = ctx.request().headers();
        if (header != null && headers.contains(header)) {
            headers.remove(header);
            ctx.credentialHeaderRemoved(header);
        }
        if (bearer && bearerKey(headers.get(HttpHeaders.AUTHORIZATION)) != null) {
            headers.remove(HttpHeaders.AUTHORIZATION);
            ctx.credentialHeaderRemoved(HttpHeaders.AUTHORIZATION);
        }
        if (query != null) {
            ctx.forwardedUri(QueryParameters.remove(ctx.forwardedUri(), query));
        }
    }

    /** Returns the token of {@code Authorization: Bearer pk_...}, or null for any other value. */
    private static String bearerKey(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = authorization.substring(BEARER.length()).trim();
        return token.startsWith(CredentialSecrets.KEY_PREFIX) ? token : null;
    }
}
