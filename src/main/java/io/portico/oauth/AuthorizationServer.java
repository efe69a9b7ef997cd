package io.portico.oauth;

import static java.util.Objects.requireNonNull;

import io.portico.config.ConfigSnapshot;
import io.portico.config.CredentialSpec;
import io.portico.config.RouteSpec.OAuthRoute;
import io.portico.pipeline.Backend;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Portico as an OAuth 2.0 authorization server: the backend of routes with an {@code oauth} section. Below the
 * route's path it answers {@code POST .../token}, the client-credentials grant of RFC 6749 section 4.4, and
 * {@code GET .../jwks.json}, the public signing keys. The endpoint is the last segment of the request path, so a
 * route on {@code /oauth} serves {@code /oauth/token} and {@code /oauth/jwks.json}.
 */
public final class AuthorizationServer {

    private final TokenEndpoint tokens;
    private final Clock clock;
    private volatile State state = new State(SigningKeyRing.empty(), Map.of(), ConfigSnapshot.empty());

    /** The parts of one snapshot the endpoints read: signing keys, and client credentials by client id. */
    record State(SigningKeyRing keys, Map<String, CredentialSpec> clients, ConfigSnapshot snapshot) {
    }

    public AuthorizationServer(Vertx vertx, Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        this.tokens = new TokenEndpoint(new ClientSecrets(requireNonNull(vertx, "vertx")), clock);
    }

    /** Switches to the signing keys and client credentials of {@code snapshot}. */
    public void update(ConfigSnapshot snapshot) {
        install(prepare(snapshot));
    }

    /**
     * Decodes the signing keys and indexes the client credentials of {@code snapshot}, without serving them. It
     * parses private keys, so call it on a worker thread when the caller is an event loop.
     */
    public Update prepare(ConfigSnapshot snapshot) {
        Map<String, CredentialSpec> clients = new HashMap<>();
        for (CredentialSpec credential : snapshot.credentials().values()) {
            if ("oauth-client".equals(credential.type()) && credential.clientId() != null) {
                clients.putIfAbsent(credential.clientId(), credential);
            }
        }
        return new Update(new State(SigningKeyRing.of(snapshot), Map.copyOf(clients), snapshot));
    }

    /** Serves the signing keys and client credentials of {@code update}. */
    public void install(Update update) {
        state = requireNonNull(update, "update").state;
    }

    /**
     * The signing keys and client credentials of one snapshot, built by {@link #prepare}. It depends on nothing
     * that serves, and owns no resource.
     */
    public static final class Update {
        private final State state;

        private Update(State state) {
            this.state = state;
        }
    }

    /** The backend that routes with an {@code oauth} section end in. */
    public Backend backend() {
        return this::handle;
    }

    private void handle(RequestContext ctx) {
        OAuthRoute settings = ctx.route().spec().oauth();
        String path = ctx.path();
        String endpoint = path.substring(path.lastIndexOf('/') + 1);
        HttpMethod method = ctx.request().method();
        State current = state;
        switch (endpoint) {
            case "token" -> {
                if (method != HttpMethod.POST) {
                    ctx.response().putHeader("allow", "POST");
                    ctx.fail(ProblemType.METHOD_NOT_ALLOWED, "the token endpoint accepts POST");
                    return;
                }
                tokens.handle(ctx, settings, current);
            }
            case "jwks.json" -> {
                if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
                    ctx.response().putHeader("allow", "GET, HEAD");
                    ctx.fail(ProblemType.METHOD_NOT_ALLOWED, "the key set accepts GET and HEAD");
                    return;
                }
                ctx.response().putHeader("content-type", "application/json")
                        .putHeader("cache-control", "public, max-age=300")
                        .end(current.keys().jwks(settings.issuer(), clock.instant()));
            }
            default -> ctx.fail(ProblemType.NOT_FOUND, "the authorization server serves only .../token and "
                    + ".../jwks.json");
        }
    }
}
