package io.portico.policy.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.cache.CacheStore;
import io.portico.cache.CacheStores;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;

/** Creates {@link CachePolicy} instances, configured under the name {@code cache}. */
public final class CachePolicyFactory implements PolicyFactory {

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
            throw new IllegalStateException("no '" + settings.store() + "' cache store on this node");
        }
        return new CachePolicy(settings, store, context.route());
    }
}
