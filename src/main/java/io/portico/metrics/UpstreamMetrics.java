package io.portico.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** The meters of exchanges with upstream targets, tagged with the service name and the target's address. */
public final class UpstreamMetrics {

    /** Meters that record nothing, for upstreams created without a node's metrics. */
    public static final UpstreamMetrics NONE = new UpstreamMetrics(new CompositeMeterRegistry());

    static final String REQUESTS = "portico.upstream.requests";
    static final String DURATION = "portico.upstream.duration";
    static final String RETRIES = "portico.upstream.retries";

    /** The {@code result} tag values of {@link #RETRIES}, indexed as {@link TargetMeters#retry} uses them. */
    private static final String[] RETRY_RESULTS = {"sent", "budget_exhausted"};

    /**
     * The {@code outcome} tag values: a response by status class, then the failures that ended an exchange without
     * a response. The index of each is the argument of {@link TargetMeters#record}.
     */
    private static final String[] OUTCOMES = {"1xx", "2xx", "3xx", "4xx", "5xx", "connect_failure",
        "connection_error", "timeout", "no_connection", "cancelled", "refused"};
    /** Index of the first failure in {@link #OUTCOMES}. */
    public static final int CONNECT_FAILURE = 5;
    public static final int CONNECTION_ERROR = 6;
    public static final int TIMEOUT = 7;
    public static final int NO_CONNECTION = 8;
    public static final int CANCELLED = 9;
    public static final int REFUSED = 10;

    private final MeterRegistry registry;
    /** The meters of each target by tags, shared by every {@link TargetMeters} of the same target. */
    private final Map<Tags, SharedMeters> targets = new ConcurrentHashMap<>();

    UpstreamMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Returns the outcome index of a response with {@code status}, between 100 and 599. */
    public static int response(int status) {
        return Math.min(4, Math.max(0, status / 100 - 1));
    }

    /**
     * Returns the meters of the target at {@code address} of {@code service}. Calls for the same target share one
     * set of meters, which stays registered until every returned instance is removed, so a target state prepared
     * for a configuration that is then dropped cannot remove the meters of the state that serves.
     */
    public TargetMeters target(String service, String address) {
        Tags tags = Tags.of("service", service, "target", address);
        SharedMeters shared = targets.compute(tags, (key, existing) -> {
            SharedMeters meters = existing != null ? existing : new SharedMeters(key);
            meters.references++;
            return meters;
        });
        return new TargetMeters(shared);
    }

    /** The registered meters of one target and the number of {@link TargetMeters} that use them. */
    private final class SharedMeters {
        private final Tags tags;
        private final Timer duration;
        private final CounterSlots outcomes;
        private final CounterSlots retries;
        /** Changed only inside {@code targets.compute}, which serialises the changes of one key. */
        private int references;

        private SharedMeters(Tags tags) {
            this.tags = tags;
            this.outcomes = new CounterSlots(OUTCOMES.length, index -> Counter.builder(REQUESTS)
                    .description("Exchanges with upstream targets, by outcome").tags(tags)
                    .tag("outcome", OUTCOMES[index]).register(registry));
            this.duration = Timer.builder(DURATION)
                    .description("Time from sending a request to an upstream target to its response head or failure")
                    .tags(tags).serviceLevelObjectives(Buckets.REQUEST).register(registry);
            this.retries = new CounterSlots(RETRY_RESULTS.length, index -> Counter.builder(RETRIES)
                    .description("Retries after a failed attempt on an upstream target, sent or rejected by the"
                            + " service's retry budget").tags(tags)
                    .tag("result", RETRY_RESULTS[index]).register(registry));
        }
    }

    /** The meters of one target. Thread-safe. */
    public final class TargetMeters {
        private final SharedMeters shared;
        private final AtomicBoolean removed = new AtomicBoolean();

        private TargetMeters(SharedMeters shared) {
            this.shared = shared;
        }

        /**
         * Records one exchange.
         *
         * @param outcome {@link #response(int)} for a response, or one of the failure indexes such as
         *     {@link #TIMEOUT}
         * @param latencyNanos the time to the response head or to the failure; not recorded for
         *     {@link #NO_CONNECTION}, {@link #CANCELLED} and {@link #REFUSED}, which never reached the target, were
         *     abandoned, or were not processed by it
         */
        public void record(int outcome, long latencyNanos) {
            shared.outcomes.get(outcome).increment();
            if (outcome != NO_CONNECTION && outcome != CANCELLED && outcome != REFUSED) {
                shared.duration.record(latencyNanos, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * Counts one retry after an attempt on this target failed or got a status in {@code retries.statuses}.
         *
         * @param sent true when the retry budget allowed the retry, false when the budget rejected it
         */
        public void retry(boolean sent) {
            shared.retries.get(sent ? 0 : 1).increment();
        }

        /**
         * Releases this target's meters, once its service no longer lists it. They leave the registry when no other
         * instance for the same target uses them. Calling it again has no effect.
         */
        public void remove() {
            if (!removed.compareAndSet(false, true)) {
                return;
            }
            targets.computeIfPresent(shared.tags, (key, meters) -> {
                if (--meters.references > 0) {
                    return meters;
                }
                registry.remove(meters.duration);
                meters.outcomes.removeFrom(registry);
                meters.retries.removeFrom(registry);
                return null;
            });
        }
    }
}
