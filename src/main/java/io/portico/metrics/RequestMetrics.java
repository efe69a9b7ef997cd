package io.portico.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The meters of client requests. Tags name routes and APIs, never raw paths, so their number stays bounded by the
 * configuration. Consumers become a tag only when the node settings enable it.
 *
 * <p>Each route's meters are looked up once per request by the route's name; counters per method and status are
 * created on first use and kept in arrays, so recording a request allocates no tags.
 */
public final class RequestMetrics {

    static final String REQUESTS = "portico.requests";
    static final String DURATION = "portico.request.duration";
    static final String REQUEST_BYTES = "portico.request.bytes";
    static final String RESPONSE_BYTES = "portico.response.bytes";
    static final String CACHE = "portico.cache.requests";
    static final String RATE_LIMIT_REJECTIONS = "portico.rate.limit.rejections";

    /** Methods that get their own {@code method} tag; every other method is tagged {@code OTHER}. */
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT",
        "TRACE", "OTHER"};
    /** The status of a request whose client left before the response ended, tagged {@code aborted}. */
    public static final int ABORTED = -1;
    /** One counter slot per status from 100 to 599, one for any other status, and one for {@link #ABORTED}. */
    private static final int STATUS_SLOTS = 502;
    private static final int OTHER_SLOT = 500;
    private static final int ABORTED_SLOT = 501;

    private final MeterRegistry registry;
    private final boolean consumerLabels;
    private final ConcurrentMap<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final AtomicLong activeRequests = new AtomicLong();
    private final AtomicLong activeConnections = new AtomicLong();

    RequestMetrics(MeterRegistry registry, boolean consumerLabels) {
        this.registry = registry;
        this.consumerLabels = consumerLabels;
        Gauge.builder("portico.active.requests", activeRequests, AtomicLong::get)
                .description("Client requests received and not yet ended").register(registry);
        Gauge.builder("portico.active.connections", activeConnections, AtomicLong::get)
                .description("Open client connections to the gateway listeners").register(registry);
    }

    /** Counts a request that started; {@link #requestEnded()} counts its end. */
    public void requestStarted() {
        activeRequests.incrementAndGet();
    }

    public void requestEnded() {
        activeRequests.decrementAndGet();
    }

    /** Counts a client connection that opened; {@link #connectionClosed()} counts its close. */
    public void connectionOpened() {
        activeConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    /**
     * Returns the meters of {@code route} in {@code api}, creating them on first use.
     *
     * @param route the route's name, or the empty string for requests that matched no route
     * @param api the name of the route's API, or the empty string when it belongs to none
     */
    public RouteMeters route(String route, String api) {
        RouteMeters meters = routes.get(route);
        if (meters != null && meters.api.equals(api)) {
            return meters;
        }
        // The route moved to another API in a new configuration; its meters start over with the new tag.
        return routes.compute(route, (name, current) -> {
            if (current != null && current.api.equals(api)) {
                return current;
            }
            if (current != null) {
                current.remove();
            }
            return new RouteMeters(name, api);
        });
    }

    /**
     * Removes the meters of every route not in {@code configured}, after a configuration change deleted routes.
     * The meters of requests that matched no route stay.
     */
    public void retainRoutes(Set<String> configured) {
        routes.values().removeIf(meters -> {
            if (meters.route.isEmpty() || configured.contains(meters.route)) {
                return false;
            }
            meters.remove();
            return true;
        });
    }

    /**
     * Removes the request counters of every consumer not in {@code configured}, after a configuration change
     * deleted consumers. Only nodes with consumer labels keep such counters. The counters of anonymous requests,
     * whose consumer is the empty string, stay.
     */
    public void retainConsumers(Set<String> configured) {
        if (!consumerLabels) {
            return;
        }
        for (RouteMeters meters : routes.values()) {
            meters.byConsumer.keySet().removeIf(consumer -> {
                if (consumer.isEmpty() || configured.contains(consumer)) {
                    return false;
                }
                registry.find(REQUESTS).tag("route", meters.route).tag("consumer", consumer).meters()
                        .forEach(registry::remove);
                return true;
            });
        }
    }

    private static int statusSlot(int status) {
        if (status == ABORTED) {
            return ABORTED_SLOT;
        }
        return status >= 100 && status <= 599 ? status - 100 : OTHER_SLOT;
    }

    private static int methodIndex(String method) {
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i].equals(method)) {
                return i;
            }
        }
        return METHODS.length - 1;
    }

    /** The meters of one route. Thread-safe. */
    public final class RouteMeters {
        private final String route;
        private final String api;
        private final Timer duration;
        private final Counter requestBytes;
        private final Counter responseBytes;
        /** Request counters by method index, then status slot, when consumers are not a tag. */
        private final AtomicReferenceArray<CounterSlots> byMethod;
        /** The same arrays for each consumer, when consumers are a tag. */
        private final ConcurrentMap<String, AtomicReferenceArray<CounterSlots>> byConsumer;
        private final CounterSlots rejections;
        private final CounterSlots cache;

        private RouteMeters(String route, String api) {
            this.route = route;
            this.api = api;
            Tags tags = Tags.of("route", route, "api", api);
            this.duration = Timer.builder(DURATION).description("Time from receiving a request to ending its response")
                    .tags(tags).serviceLevelObjectives(Buckets.REQUEST).register(registry);
            this.requestBytes = Counter.builder(REQUEST_BYTES).description("Bytes of request bodies received")
                    .tags(tags).register(registry);
            this.responseBytes = Counter.builder(RESPONSE_BYTES).description("Bytes of response bodies sent")
                    .tags(tags).register(registry);
            this.byMethod = consumerLabels ? null : new AtomicReferenceArray<>(METHODS.length);
            this.byConsumer = consumerLabels ? new ConcurrentHashMap<>() : null;
            this.rejections = new CounterSlots(Rejection.values().length, this::rejectionCounter);
            this.cache = new CounterSlots(CacheOutcome.values().length, index -> Counter.builder(CACHE)
                    .description("Requests on routes with a response cache, by outcome").tag("route", route)
                    .tag("outcome", CacheOutcome.values()[index].label()).register(registry));
        }

        /**
         * Records a request that ended.
         *
         * @param consumer the authenticated consumer, or the empty string; ignored unless consumers are a tag
         * @param durationNanos from receiving the request to the end of its exchange
         */
        public void ended(String method, int status, String consumer, long durationNanos, long bytesIn,
                          long bytesOut) {
            AtomicReferenceArray<CounterSlots> methods = consumerLabels
                    ? byConsumer.computeIfAbsent(consumer, unused -> new AtomicReferenceArray<>(METHODS.length))
                    : byMethod;
            int methodIndex = methodIndex(method);
            CounterSlots statuses = methods.get(methodIndex);
            if (statuses == null) {
                methods.compareAndSet(methodIndex, null, new CounterSlots(STATUS_SLOTS, slot ->
                        requestCounter(METHODS[methodIndex], slot, consumer)));
                statuses = methods.get(methodIndex);
            }
            statuses.get(statusSlot(status)).increment();
            duration.record(durationNanos, TimeUnit.NANOSECONDS);
            if (bytesIn > 0) {
                requestBytes.increment(bytesIn);
            }
            if (bytesOut > 0) {
                responseBytes.increment(bytesOut);
            }
        }

        /** Counts a request that a traffic control policy rejected on this route. */
        public void rejected(Rejection rejection) {
            rejections.get(rejection.ordinal()).increment();
        }

        /** Counts a request that the response cache handled with {@code outcome} on this route. */
        public void cache(CacheOutcome outcome) {
            cache.get(outcome.ordinal()).increment();
        }

        private Counter rejectionCounter(int index) {
            Rejection rejection = Rejection.values()[index];
            Counter.Builder builder = Counter.builder(rejection.meter()).tag("route", route).tags(rejection.tags());
            return builder.description("Requests rejected by a traffic control policy").register(registry);
        }

        private Counter requestCounter(String method, int slot, String consumer) {
            String status = switch (slot) {
                case ABORTED_SLOT -> "aborted";
                case OTHER_SLOT -> "other";
                default -> Integer.toString(slot + 100);
            };
            Counter.Builder builder = Counter.builder(REQUESTS).description("Client requests that ended")
                    .tag("route", route).tag("api", api).tag("method", method).tag("status", status);
            if (consumerLabels) {
                builder.tag("consumer", consumer);
            }
            return builder.register(registry);
        }

        /** Removes every meter of this route from the registry. */
        private void remove() {
            registry.find(REQUESTS).tag("route", route).meters().forEach(registry::remove);
            rejections.removeFrom(registry);
            cache.removeFrom(registry);
            registry.remove(duration);
            registry.remove(requestBytes);
            registry.remove(responseBytes);
        }
    }
}
