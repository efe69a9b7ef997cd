package io.portico.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * The meters of calls to AI providers, tagged with the provider's configured name and the provider's model id, or
 * {@code other} for a model id that neither the configuration nor the model catalog lists (the AI gateway chooses
 * the tag). Responses served from Portico's cache call no provider and are not recorded here.
 */
public final class AiMetrics {

    /** Meters that record nothing, for an AI gateway created without a node's metrics. */
    public static final AiMetrics NONE = new AiMetrics(new CompositeMeterRegistry());

    static final String TOKENS = "portico.ai.tokens";
    static final String COST = "portico.ai.cost.usd";
    static final String REQUESTS = "portico.ai.requests";
    static final String DURATION = "portico.ai.request.duration";
    static final String FIRST_TOKEN = "portico.ai.time.to.first.token";

    /** The {@code outcome} tag values of provider calls, by the status that ended them. */
    private static final String[] OUTCOMES = {"success", "rate_limited", "client_error", "server_error"};
    private static final int SUCCESS = 0;
    private static final int RATE_LIMITED = 1;
    private static final int CLIENT_ERROR = 2;
    private static final int SERVER_ERROR = 3;

    private final MeterRegistry registry;
    private final ConcurrentMap<ModelKey, ModelMeters> models = new ConcurrentHashMap<>();

    AiMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Records a provider call that succeeded.
     *
     * @param inputTokens prompt tokens, cached ones included
     * @param outputTokens generated tokens, reasoning ones included
     * @param costUsd the cost from the model catalog's prices; zero when the catalog has no price
     * @param latencyMillis from sending the request to the end of the response
     */
    public void succeeded(String provider, String model, long inputTokens, long outputTokens, long cachedTokens,
                          long reasoningTokens, double costUsd, double latencyMillis) {
        ModelMeters meters = meters(provider, model);
        meters.outcome(SUCCESS).increment();
        meters.input.increment(inputTokens);
        meters.output.increment(outputTokens);
        meters.cached.increment(cachedTokens);
        meters.reasoning.increment(reasoningTokens);
        meters.cost.increment(costUsd);
        meters.duration.record(Math.round(latencyMillis * 1_000_000), TimeUnit.NANOSECONDS);
    }

    /**
     * Records a provider call that failed with {@code status} after it produced tokens: a stream after its first
     * event reached the client, or an attempt whose response reported usage. Its tokens and cost count as well:
     * the provider bills what a stream generated before the failure, and Portico counts the tokens that a failed
     * response reported as billed too.
     */
    public void failedAfterOutput(String provider, String model, int status, long inputTokens, long outputTokens,
                                  long cachedTokens, long reasoningTokens, double costUsd) {
        failed(provider, model, status);
        ModelMeters meters = meters(provider, model);
        meters.input.increment(inputTokens);
        meters.output.increment(outputTokens);
        meters.cached.increment(cachedTokens);
        meters.reasoning.increment(reasoningTokens);
        meters.cost.increment(costUsd);
    }

    /** Records the time from sending a streamed request to the first event with content. */
    public void firstToken(String provider, String model, double millis) {
        meters(provider, model).firstToken.record(Math.round(millis * 1_000_000), TimeUnit.NANOSECONDS);
    }

    /**
     * Records a provider call that failed with {@code status}: the provider's error status, or the one Portico
     * reports for a timeout (504) or a broken connection (502).
     */
    public void failed(String provider, String model, int status) {
        int outcome = SERVER_ERROR;
        if (status == 429) {
            outcome = RATE_LIMITED;
        } else if (status >= 400 && status < 500) {
            outcome = CLIENT_ERROR;
        }
        meters(provider, model).outcome(outcome).increment();
    }

    /**
     * Removes the meters of every provider that {@code providers}, the names of the providers configured now, does
     * not contain. A call to a deleted provider that is still running when this runs registers its meters again.
     */
    public void retainProviders(Set<String> providers) {
        models.entrySet().removeIf(entry -> {
            if (providers.contains(entry.getKey().provider())) {
                return false;
            }
            entry.getValue().removeFrom(registry);
            return true;
        });
    }

    private ModelMeters meters(String provider, String model) {
        return models.computeIfAbsent(new ModelKey(provider, model), ModelMeters::new);
    }

    private record ModelKey(String provider, String model) {
    }

    /** The meters of one model of one provider. */
    private final class ModelMeters {
        private final Tags tags;
        private final Counter input;
        private final Counter output;
        private final Counter cached;
        private final Counter reasoning;
        private final Counter cost;
        private final Timer duration;
        private final Timer firstToken;
        private final CounterSlots outcomes;

        ModelMeters(ModelKey key) {
            this.tags = Tags.of("provider", key.provider(), "model", key.model());
            this.input = tokens("input");
            this.output = tokens("output");
            this.cached = tokens("cached");
            this.reasoning = tokens("reasoning");
            this.cost = Counter.builder(COST).description("Cost of provider calls in USD, from the model catalog")
                    .tags(tags).register(registry);
            this.duration = Timer.builder(DURATION).description("Time from sending a request to a provider to the "
                    + "end of its response").tags(tags).serviceLevelObjectives(Buckets.AI_CALL).register(registry);
            this.firstToken = Timer.builder(FIRST_TOKEN).description("Time from sending a streamed request to a "
                    + "provider to its first event").tags(tags).serviceLevelObjectives(Buckets.FIRST_TOKEN)
                    .register(registry);
            this.outcomes = new CounterSlots(OUTCOMES.length, index -> Counter.builder(REQUESTS)
                    .description("Calls to AI providers, by outcome").tags(tags).tag("outcome", OUTCOMES[index])
                    .register(registry));
        }

        private Counter tokens(String kind) {
            return Counter.builder(TOKENS).description("Tokens of provider calls; input includes cached, output "
                    + "includes reasoning").tags(tags).tag("kind", kind).register(registry);
        }

        Counter outcome(int index) {
            return outcomes.get(index);
        }

        void removeFrom(MeterRegistry registry) {
            for (Meter meter : List.of(input, output, cached, reasoning, cost, duration, firstToken)) {
                registry.remove(meter);
            }
            outcomes.removeFrom(registry);
        }
    }
}
