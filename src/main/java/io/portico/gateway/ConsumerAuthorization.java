package io.portico.gateway;

import io.portico.config.ConsumerSpec;
import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import java.time.Instant;
import java.util.List;

/**
 * The consumer checks of one route, which run right after its authentication policies:
 * <table>
 *   <caption>Outcomes</caption>
 *   <tr><th>Request</th><th>Result</th></tr>
 *   <tr><td>no identity, route of an API that requires subscriptions</td><td>401 {@code unauthorized}, with the
 *       challenges of the route's authentication policies</td></tr>
 *   <tr><td>no identity, any other route</td><td>passed on</td></tr>
 *   <tr><td>consumer's route access list does not allow the route</td><td>403 {@code forbidden}</td></tr>
 *   <tr><td>consumer's methods do not include the request method</td><td>403 {@code forbidden}</td></tr>
 *   <tr><td>no active subscription to the route's API</td><td>403 {@code subscription-required}</td></tr>
 * </table>
 * AI model access lists are applied by the AI backend, because the requested model is in the request body.
 */
final class ConsumerAuthorization implements Policy {

    /**
     * The challenge of a route that runs no authentication policy. RFC 9110 section 11.6.1 requires one on every
     * 401, though no credential passes on such a route.
     */
    static final String DEFAULT_CHALLENGE = "Bearer realm=\"portico\"";

    private final String route;
    private final String subscriptionApi;
    private final List<String> challenges;
    private final AuthorizationIndex index;

    /**
     * @param subscriptionApi the API whose subscription callers need; null when the route needs none
     * @param challenges the {@code WWW-Authenticate} challenges of the route's authentication policies, each sent
     *     as its own header field on a 401
     */
    ConsumerAuthorization(String route, String subscriptionApi, List<String> challenges, AuthorizationIndex index) {
        this.route = route;
        this.subscriptionApi = subscriptionApi;
        this.challenges = challenges.isEmpty() ? List.of(DEFAULT_CHALLENGE) : List.copyOf(challenges);
        this.index = index;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        Identity identity = ctx.identity();
        if (identity == null) {
            if (subscriptionApi != null) {
                challenges.forEach(challenge -> ctx.response().headers().add("WWW-Authenticate", challenge));
                ctx.fail(ProblemType.UNAUTHORIZED, "this API requires an authenticated consumer with a subscription");
                return;
            }
            chain.proceed(ctx);
            return;
        }
        String consumer = identity.consumer();
        ConsumerSpec.Access access = index.access(consumer);
        if (access != null) {
            if (!access.routes().allows(route)) {
                ctx.fail(ProblemType.FORBIDDEN, "consumer '" + consumer + "' may not call this route");
                return;
            }
            String method = ctx.request().method().name();
            if (!access.allowsMethod(method)) {
                ctx.fail(ProblemType.FORBIDDEN, "consumer '" + consumer + "' may not use the method " + method);
                return;
            }
        }
        if (subscriptionApi != null && !index.subscribed(consumer, subscriptionApi, Instant.now())) {
            ctx.fail(ProblemType.SUBSCRIPTION_REQUIRED, "consumer '" + consumer
                    + "' has no active subscription to the API '" + subscriptionApi + "'");
            return;
        }
        chain.proceed(ctx);
    }
}
