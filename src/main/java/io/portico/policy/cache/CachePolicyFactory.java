package io.portico.policy.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.cache.CacheStats;
import io.portico.cache.CacheStore;
import io.portico.cache.CacheStores;
import io.portico.config.ApiSpec;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.PolicySpec;
import io.portico.config.RouteSpec;
import io.portico.config.RouteSpec.PolicyRef;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates {@link CachePolicy} instances, configured under the name {@code cache}. */
public final class CachePolicyFactory implements PolicyFactory {

    private static final Logger LOG = LoggerFactory.getLogger(CachePolicyFactory.class);

    /** The policy type, as routes and attachments name it. */
    private static final String NAME = "cache";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        CacheSettings.validate(config, errors);
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        CacheSettings settings = CacheSettings.of(config);
        // The gateway registers the node's stores at start; the fallback serves policies built without a gateway.
        CacheStores stores = context.perNode(CacheStores.NODE_KEY, () -> new CacheStores(64L * 1024 * 1024));
        CacheStore store = stores.store(settings.store());
        if (store == null) {
            if (!context.checkOnly()) {
                LOG.warn("The cache policy at {} uses store '{}', but this node has no redis settings; its requests"
                        + " go uncached until redis.url or cache.redis.url is set", context.declaredIn(),
                        settings.store());
            }
            store = new MissingStore(settings.store());
        }
        RequestCollapsing collapsing = context.perNode(RequestCollapsing.NODE_KEY, RequestCollapsing::new);
        return new CachePolicy(settings, store, context.route(), collapsing);
    }

    /**
     * Returns the types of the stores ({@code local}, {@code redis}) that the cache policies running on
     * {@code route} use in {@code snapshot}: those in the route's and its API's policies, and those attached
     * globally or to a consumer, which run on every route. Empty when the route does not exist or runs no cache
     * policy.
     */
    public static Set<String> storeTypes(ConfigSnapshot snapshot, String route) {
        RouteSpec spec = snapshot.routes().get(route);
        if (spec == null) {
            return Set.of();
        }
        Set<String> types = new TreeSet<>();
        for (PolicySpec attachment : snapshot.policies().values()) {
            addStoreType(types, attachment.type(), attachment.config());
        }
        ApiSpec api = spec.api() == null ? null : snapshot.apis().get(spec.api());
        List<PolicyRef> refs = new ArrayList<>(spec.policies());
        if (api != null) {
            refs.addAll(api.policies());
        }
        for (PolicyRef ref : refs) {
            addStoreType(types, ref.name(), ref.config());
        }
        return Set.copyOf(types);
    }

    private static void addStoreType(Set<String> types, String policyType, ObjectNode config) {
        if (NAME.equals(policyType)) {
            types.add(config == null ? CacheSettings.DEFAULT_STORE : config.path("store").asText(
                    CacheSettings.DEFAULT_STORE));
        }
    }

    /** Stands for a store this node lacks: every operation fails, so each request is forwarded uncached. */
    private record MissingStore(String type) implements CacheStore {

        private Future<Void> missing() {
            return Future.failedFuture(new IllegalStateException("this node has no '" + type + "' cache store"));
        }

        @Override
        public Future<Buffer> get(String key) {
            return missing().mapEmpty();
        }

        @Override
        public Future<Void> put(String key, Buffer value, Duration ttl) {
            return missing();
        }

        @Override
        public Future<Void> remove(String key) {
            return missing();
        }

        @Override
        public Future<Long> purge(String prefix) {
            return missing().mapEmpty();
        }

        @Override
        public CacheStats stats() {
            return new CacheStats(type, 0, 0, -1, 0, 0, 0, 0);
        }
    }
}
