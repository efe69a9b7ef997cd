package io.portico.policy.auth.introspection;

import io.portico.config.ConfigSnapshot;
import io.portico.config.ConsumerSpec;
import io.portico.pipeline.AuthenticationPolicy;
import io.portico.pipeline.Identity;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.auth.bearer.BearerRequests;
import io.portico.policy.auth.bearer.Challenges;
import io.portico.policy.auth.bearer.Scopes;
import io.portico.policy.auth.bearer.TokenSource;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code oauth-introspection} policy: accepts a request whose bearer token the authorization server reports
 * active, with an {@code exp} in the future and the required scopes, and sets the identity of the consumer that
 * the configured claim names.
 */
final class OAuthIntrospectionPolicy implements AuthenticationPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(OAuthIntrospectionPolicy.class);
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;

    private final String route;
    private final IntrospectionSettings settings;
    private final IntrospectionClient client;
    private final ConfigSnapshot snapshot;
    private final Clock clock;

    OAuthIntrospectionPolicy(String route, IntrospectionSettings settings, IntrospectionClient client,
                             ConfigSnapshot snapshot, Clock clock) {
        this.route = route;
        this.settings = settings;
        this.client = client;
        this.snapshot = snapshot;
        this.clock = clock;
    }

    @Override
    public String challenge() {
        return Challenges.MISSING;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        TokenSource.Token token = BearerRequests.tokenOrHandle(ctx, chain, settings.tokenSource(),
                settings.optional());
        if (token == null) {
            return;
        }
        if (token.value().length() > MAX_TOKEN_LENGTH) {
            reject(ctx, "the token is longer than " + MAX_TOKEN_LENGTH + " characters");
            return;
        }
        Introspection cached = client.cached(token.value());
        if (cached != null) {
            decide(ctx, chain, token, cached);
            return;
        }
        BearerRequests.await(ctx, client.introspect(token.value()), result -> {
            if (result.failed()) {
                ctx.resumeBody();
                Challenges.unavailable(ctx, "the authorization server could not check the token");
            } else {
                decide(ctx, chain, token, result.result());
            }
        });
    }

    private void decide(RequestContext ctx, PolicyChain chain, TokenSource.Token token, Introspection result) {
        if (!result.active()) {
            reject(ctx, "the authorization server reports the token inactive");
            return;
        }
        if (result.expiresAt() != null && !clock.instant().isBefore(result.expiresAt())) {
            reject(ctx, "the token expired at " + result.expiresAt());
            return;
        }
        Object value = result.claims().get(settings.consumerClaim());
        if (!(value instanceof String name) || name.isEmpty()) {
            reject(ctx, "the introspection result has no string " + settings.consumerClaim());
            return;
        }
        ConsumerSpec consumer = snapshot.consumers().get(name);
        Identity identity;
        if (consumer == null && settings.allowUnknownConsumer()) {
            identity = new Identity(name, null, null, "oauth-introspection", Map.of(), selected(result));
        } else if (consumer == null || consumer.disabled()) {
            reject(ctx, "the consumer is unknown or disabled");
            return;
        } else {
            identity = new Identity(consumer.name(), consumer.team(), null, "oauth-introspection",
                    consumer.labels(), selected(result));
        }
        List<String> missing = Scopes.missing(result.claims(), settings.scopes());
        if (!missing.isEmpty()) {
            LOG.debug("Request {} on route {}: the token lacks the scopes {}", ctx.requestId(), route, missing);
            ctx.resumeBody();
            Challenges.insufficientScope(ctx, settings.scopes());
            return;
        }
        ctx.identity(identity);
        if (!settings.keepCredential()) {
            settings.tokenSource().remove(ctx);
        }
        chain.proceed(ctx);
    }

    private Map<String, Object> selected(Introspection result) {
        if (settings.claims().isEmpty()) {
            return Map.of();
        }
        Map<String, Object> selected = new LinkedHashMap<>();
        for (String name : settings.claims()) {
            Object value = result.claims().get(name);
            if (value != null) {
                selected.put(name, value);
            }
        }
        return Map.copyOf(selected);
    }

    private void reject(RequestContext ctx, String reason) {
        LOG.debug("Request {} on route {}: rejected the bearer token: {}", ctx.requestId(), route, reason);
        ctx.resumeBody();
        Challenges.invalid(ctx);
    }
}
