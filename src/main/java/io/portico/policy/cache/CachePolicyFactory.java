package io.portico.policy.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.cache.CacheStats;
import io.portico.cache.CacheStore;
import io.portico.cache.CacheStores;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates {@link CachePolicy} instances, configured under the name {@code cache}. */
public final class CachePolicyFactory implements PolicyFactory {

    private static final Logger LOG = LoggerFactory.getLogger(CachePolicyFactory.class);

    @Override
    public String name() {
        return "cache";
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
        return new CachePolicy(settings, store, context.route());
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
