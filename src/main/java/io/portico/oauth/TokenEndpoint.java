package io.portico.oauth;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.portico.config.ConsumerSpec;
import io.portico.config.CredentialSpec;
import io.portico.config.RouteSpec.OAuthRoute;
import io.portico.pipeline.Identity;
import io.portico.pipeline.RequestContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token endpoint for the client-credentials grant (RFC 6749 section 4.4). The client authenticates with
 * HTTP Basic or with {@code client_id} and {@code client_secret} form parameters (section 2.3.1) against an
 * {@code oauth-client} credential; the requested scopes must be among the credential's, and all of them are
 * granted when the request names none. The access token is a JWT (RFC 9068) signed with the current key.
 */
final class TokenEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(TokenEndpoint.class);
    /** Largest form body read; a token request is a few hundred bytes. */
    private static final int MAX_BODY_BYTES = 16 * 1024;
    private static final int JWT_ID_BYTES = 16;
    private static final JOSEObjectType ACCESS_TOKEN_TYPE = new JOSEObjectType("at+jwt");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ClientSecrets secrets;
    private final Clock clock;

    TokenEndpoint(ClientSecrets secrets, Clock clock) {
        this.secrets = secrets;
        this.clock = clock;
    }

    /** A failed token request: the status and the RFC 6749 error code and description. */
    private static final class TokenError extends RuntimeException {
        private final int status;
        private final String code;

        TokenError(int status, String code, String description) {
            super(description, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    /** The client's id and secret, from the Authorization header or the form. */
    private record ClientAuthentication(String clientId, String secret) {
    }

    void handle(RequestContext ctx, OAuthRoute settings, AuthorizationServer.State state) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        String contentType = request.getHeader("content-type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT)
                .startsWith("application/x-www-form-urlencoded")) {
            OAuthResponses.error(response, 400, "invalid_request",
                    "the body must be application/x-www-form-urlencoded");
            return;
        }
        if (ctx.declaredLength() > MAX_BODY_BYTES) {
            response.putHeader("connection", "close");
            OAuthResponses.error(response, 413, "invalid_request", "the body is larger than " + MAX_BODY_BYTES
                    + " bytes");
            return;
        }
        Buffer buffered = ctx.bufferedBody();
        if (buffered != null) {
            // A policy of the route read the whole body, such as a signature check, and the request has ended.
            if (buffered.length() > MAX_BODY_BYTES) {
                OAuthResponses.error(response, 413, "invalid_request", "the body is larger than " + MAX_BODY_BYTES
                        + " bytes");
            } else {
                respond(ctx, settings, state, buffered.toString(StandardCharsets.UTF_8));
            }
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] tooLarge = new boolean[1];
        ctx.continueIfExpected();
        request.handler(bytes -> {
            if (tooLarge[0]) {
                return;
            }
            if (body.length() + bytes.length() > MAX_BODY_BYTES) {
                tooLarge[0] = true;
                response.putHeader("connection", "close");
                OAuthResponses.error(response, 413, "invalid_request", "the body is larger than "
                        + MAX_BODY_BYTES + " bytes");
                return;
            }
            body.appendBuffer(bytes);
        });
        request.exceptionHandler(cause -> tooLarge[0] = true);
        request.endHandler(end -> {
            if (!tooLarge[0]) {
                respond(ctx, settings, state, body.toString(StandardCharsets.UTF_8));
            }
        });
        request.resume();
    }

    private void respond(RequestContext ctx, OAuthRoute settings, AuthorizationServer.State state, String body) {
        Map<String, String> form;
        ClientAuthentication client;
        CredentialSpec credential;
        try {
            form = parseForm(body);
            String grantType = form.get("grant_type");
            if (grantType == null) {
                throw new TokenError(400, "invalid_request", "grant_type is required");
            }
            if (!grantType.equals("client_credentials")) {
                throw new TokenError(400, "unsupported_grant_type", "only client_credentials is supported");
            }
            client = clientAuthentication(ctx.request(), form);
            credential = state.clients().get(client.clientId());
        } catch (TokenError e) {
            sendError(ctx, e);
            return;
        }
        if (credential == null) {
            secrets.verifyUnknownClient(client.secret()).onComplete(checked -> {
                LOG.debug("Token request {}: unknown client", ctx.requestId());
                sendError(ctx, invalidClient());
            });
            return;
        }
        secrets.verify(client.secret(), credential).onComplete(result -> {
            if (!result.succeeded() || !result.result()) {
                LOG.debug("Token request {}: wrong secret for credential {}", ctx.requestId(), credential.name());
                sendError(ctx, invalidClient());
                return;
            }
            try {
                issue(ctx, settings, state, credential, form.get("scope"));
            } catch (TokenError e) {
                sendError(ctx, e);
            }
        });
    }

    private void issue(RequestContext ctx, OAuthRoute settings, AuthorizationServer.State state,
                       CredentialSpec credential, String requestedScope) {
        Instant now = clock.instant();
        ConsumerSpec consumer = state.snapshot().consumers().get(credential.consumer());
        if (!credential.validAt(now) || consumer == null || consumer.disabled()) {
            LOG.debug("Token request {}: credential {} or its consumer is disabled or expired", ctx.requestId(),
                    credential.name());
            throw invalidClient();
        }
        List<String> scopes = grantedScopes(credential, requestedScope);
        Optional<SigningKeyRing.Signer> signer = state.keys().signer(settings.issuer(), settings.algorithm(),
                now);
        if (signer.isEmpty()) {
            ctx.response().putHeader("retry-after", "1");
            throw new TokenError(503, "temporarily_unavailable", "no signing key is active yet; retry shortly");
        }
        Instant expires = now.plus(settings.tokenTtl());
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(settings.issuer())
                .subject(consumer.name())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(expires))
                .jwtID(jwtId())
                .claim("client_id", credential.clientId());
        if (!settings.audience().isEmpty()) {
            claims.audience(settings.audience());
        }
        if (!scopes.isEmpty()) {
            claims.claim("scope", String.join(" ", scopes));
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(signer.get().algorithm()).keyID(signer.get().keyId())
                .type(ACCESS_TOKEN_TYPE).build(), claims.build());
        try {
            jwt.sign(signer.get().signer());
        } catch (JOSEException e) {
            LOG.error("Signing an access token with key {} failed", signer.get().keyId(), e);
            throw new TokenError(500, "server_error", "the token could not be signed");
        }
        ctx.identity(new Identity(consumer.name(), consumer.team(), credential.name(), "oauth-client",
                consumer.labels(), Map.of()));
        ObjectNode token = JsonNodeFactory.instance.objectNode()
                .put("access_token", jwt.serialize())
                .put("token_type", "Bearer")
                .put("expires_in", settings.tokenTtl().toSeconds());
        if (!scopes.isEmpty()) {
            token.put("scope", String.join(" ", scopes));
        }
        OAuthResponses.json(ctx.response(), 200, token);
    }

    /** Returns the scopes to grant: the requested ones when the credential allows each, all allowed otherwise. */
    private static List<String> grantedScopes(CredentialSpec credential, String requested) {
        List<String> allowed = credential.scopes() == null ? List.of() : credential.scopes();
        if (requested == null || requested.isBlank()) {
            return allowed;
        }
        Set<String> scopes = new LinkedHashSet<>();
        for (String scope : requested.trim().split(" +")) {
            if (!isScopeToken(scope)) {
                throw new TokenError(400, "invalid_scope", "the scope parameter is malformed");
            }
            if (!allowed.contains(scope)) {
                throw new TokenError(400, "invalid_scope", "the client may not request the scope '" + scope + "'");
            }
            scopes.add(scope);
        }
        return new ArrayList<>(scopes);
    }

    /** Returns true for a scope token of RFC 6749 section 3.3: printable ASCII except space, '"' and '\'. */
    private static boolean isScopeToken(String scope) {
        if (scope.isEmpty()) {
            return false;
        }
        for (int i = 0; i < scope.length(); i++) {
            char c = scope.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** Parses a form body; RFC 6749 section 3.2 forbids repeating a parameter. */
    private static Map<String, String> parseForm(String body) {
        Map<String, List<String>> parameters;
        try {
            parameters = new QueryStringDecoder(body, StandardCharsets.UTF_8, false).parameters();
        } catch (IllegalArgumentException e) {
            throw new TokenError(400, "invalid_request", "the form body is malformed");
        }
        Map<String, String> form = new HashMap<>();
        parameters.forEach((name, values) -> {
            if (values.size() > 1) {
                throw new TokenError(400, "invalid_request", "the parameter " + name + " is repeated");
            }
            form.put(name, values.get(0));
        });
        return form;
    }

    private static ClientAuthentication clientAuthentication(HttpServerRequest request, Map<String, String> form) {
        String authorization = request.getHeader("authorization");
        boolean inForm = form.containsKey("client_id") || form.containsKey("client_secret");
        if (authorization != null) {
            if (inForm && form.containsKey("client_secret")) {
                throw new TokenError(400, "invalid_request", "use one client authentication method, not two");
            }
            return basic(authorization);
        }
        String clientId = form.get("client_id");
        String secret = form.get("client_secret");
        if (clientId == null || secret == null) {
            throw new TokenError(401, "invalid_client", "client authentication is required");
        }
        return new ClientAuthentication(clientId, secret);
    }

    /** Decodes HTTP Basic credentials whose parts are form-encoded, as RFC 6749 section 2.3.1 requires. */
    private static ClientAuthentication basic(String authorization) {
        int space = authorization.indexOf(' ');
        if (space < 0 || !authorization.substring(0, space).equalsIgnoreCase("basic")) {
            throw new TokenError(401, "invalid_client", "use HTTP Basic client authentication");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(space + 1).trim()),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new TokenError(401, "invalid_client", "the Basic credentials are malformed");
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            throw new TokenError(401, "invalid_client", "the Basic credentials are malformed");
        }
        try {
            return new ClientAuthentication(formDecode(decoded.substring(0, colon)),
                    formDecode(decoded.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new TokenError(401, "invalid_client", "the Basic credentials are malformed");
        }
    }

    private static String formDecode(String value) {
        return QueryStringDecoder.decodeComponent(value, StandardCharsets.UTF_8);
    }

    private static TokenError invalidClient() {
        return new TokenError(401, "invalid_client", "client authentication failed");
    }

    private static void sendError(RequestContext ctx, TokenError error) {
        if (error.status == 401) {
            ctx.response().putHeader("www-authenticate", "Basic realm=\"portico\", charset=\"UTF-8\"");
        }
        OAuthResponses.error(ctx.response(), error.status, error.code, error.getMessage());
    }

    private static String jwtId() {
        byte[] bytes = new byte[JWT_ID_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
