package io.portico.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.concurrent.TimeUnit;

/** The meters of exchanges with upstream targets, tagged with the service name and the target's address. */
public final class UpstreamMetrics {

    /** Meters that record nothing, for upstreams created without a node's metrics. */
    public static final UpstreamMetrics NONE = new UpstreamMetrics(new CompositeMeterRegistry());

    static final String REQUESTS = "portico.upstream.requests";
    static final String DURATION = "portico.upstream.duration";

    /**
     * The {@code outcome} tag values: a response by status class, then the failures that ended an exchange without
     * a response. The index of each is the argument of {@link TargetMeters#record}.
     */
    private static final String[] OUTCOMES = {"1xx", "2xx", "3xx", "4xx", "5xx", "connect_failure",
        "connection_error", "timeout", "no_connection", "cancelled"};
    /** Index of the first failure in {@link #OUTCOMES}. */
    public static final int CONNECT_FAILURE = 5;
    public static final int CONNECTION_ERROR = 6;
    public static final int TIMEOUT = 7;
    public static final int NO_CONNECTION = 8;
    public static final int CANCELLED = 9;

    private final MeterRegistry registry;

    UpstreamMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Returns the outcome index of a response with {@code status}, between 100 and 599. */
    public static int response(int status) {
        return Math.min(4, Math.max(0, status / 100 - 1));
    }

    /** Creates the meters of the target at {@code address} of {@code service}. */
    public TargetMeters target(String service, String address) {
        return new TargetMeters(Tags.of("service", service, "target", address));
    }

    /** The meters of one target. Thread-safe. */
    public final class TargetMeters {
        private final Timer duration;
        private final CounterSlots outcomes;

        private TargetMeters(Tags tags) {
            this.outcomes = new CounterSlots(OUTCOMES.length, index -> Counter.builder(REQUESTS)
                    .description("Exchanges with upstream targets, by outcome").tags(tags)
                    .tag("outcome", OUTCOMES[index]).register(registry));
            this.duration = Timer.builder(DURATION)
                    .description("Time from sending a request to an upstream target to its response head or failure")
                    .tags(tags).serviceLevelObjectives(Buckets.REQUEST).register(registry);
        }

        /**
         * Records one exchange.
         *
         * @param outcome {@link #response(int)} for a response, or one of the failure indexes such as
         *     {@link #TIMEOUT}
         * @param latencyNanos the time to the response head or to the failure; not recorded for
         *     {@link #NO_CONNECTION} and {@link #CANCELLED}, which never reached the target or were abandoned
         */
        public void record(int outcome, long latencyNanos) {
            outcomes.get(outcome).increment();
            if (outcome != NO_CONNECTION && outcome != CANCELLED) {
                duration.record(latencyNanos, TimeUnit.NANOSECONDS);
            }
        }

        /** Removes this target's meters, once its service no longer lists it. */
        public void remove() {
            registry.remove(duration);
            outcomes.removeFrom(registry);
        }
    }
}
