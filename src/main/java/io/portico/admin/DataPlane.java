package io.portico.admin;

import io.portico.ai.AiGateway.ModelCircuitBreaker;
import io.portico.cache.CacheStores;
import io.portico.gateway.upstream.UpstreamGroup;
import io.portico.quota.UsageCounters.CounterState;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The live state of this node's data plane that the admin API reports and acts on. */
public interface DataPlane {

    /** A data plane with no services, breakers or caches, for an admin API that runs without a gateway. */
    DataPlane NONE = new DataPlane() {
        @Override
        public Map<String, UpstreamGroup> services() {
            return Map.of();
        }

        @Override
        public List<ModelCircuitBreaker> modelCircuitBreakers() {
            return List.of();
        }

        @Override
        public CacheStores caches() {
            return new CacheStores(List.of());
        }

        @Override
        public Set<String> cacheStoresOf(String route) {
            return Set.of();
        }

        @Override
        public List<CounterState> counters(String kind) {
            return List.of();
        }

        @Override
        public List<CounterState> budgets() {
            return List.of();
        }
    };

    /** Returns the upstream group of each configured service, by name. */
    Map<String, UpstreamGroup> services();

    /** Returns the circuit breakers of the provider models called so far. */
    List<ModelCircuitBreaker> modelCircuitBreakers();

    /** Returns the response cache stores. */
    CacheStores caches();

    /**
     * Returns the types of the cache stores that the cache policies of {@code route} use in the configuration this
     * node serves; empty when the route is not configured or runs no cache policy.
     */
    Set<String> cacheStoresOf(String route);

    /** Returns the usage counters of {@code kind} ({@code quota} or {@code budget}) that this node knows. */
    List<CounterState> counters(String kind);

    /**
     * Returns the budget counters that a budget of the applied configuration counts on, with that budget's amount
     * and alert threshold.
     */
    List<CounterState> budgets();
}
