package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.NodeResource;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test policy, {@code node-value}: requests the per-node value under {@code config.key}, a {@link Tracked} that
 * implements {@link NodeResource} unless {@code config.resource} is false, and passes every request on. Each value
 * created is recorded for the whole test JVM, so tests use keys of their own.
 */
public final class NodeValuePolicyFactory implements PolicyFactory {

    private static final Map<String, List<Tracked>> CREATED = new ConcurrentHashMap<>();

    /** Returns the values created under {@code key}, oldest first. */
    public static List<Tracked> created(String key) {
        return CREATED.getOrDefault(key, List.of());
    }

    @Override
    public String name() {
        return "node-value";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        errors.check(config.path("key").isTextual(), "key", "is required and must be a string");
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        String key = config.get("key").asText();
        boolean resource = config.path("resource").asBoolean(true);
        context.perNode(NodeValuePolicyFactory.class.getName() + "/" + key, () -> {
            Tracked value = resource ? new TrackedResource() : new Tracked();
            CREATED.computeIfAbsent(key, unused -> new CopyOnWriteArrayList<>()).add(value);
            return value;
        });
        return (ctx, chain) -> chain.proceed(ctx);
    }

    /** A per-node value that records when and how often it was closed. */
    public static class Tracked {
        private final AtomicInteger closes = new AtomicInteger();
        private volatile long closedAtNanos;

        /** Returns true once the node closed the value. */
        public boolean closed() {
            return closes.get() > 0;
        }

        /** Returns how many times the node closed the value. */
        public int closes() {
            return closes.get();
        }

        /** Returns the {@link System#nanoTime()} at which the node last closed the value, 0 while it is open. */
        public long closedAtNanos() {
            return closedAtNanos;
        }

        void markClosed() {
            closedAtNanos = System.nanoTime();
            closes.incrementAndGet();
        }
    }

    private static final class TrackedResource extends Tracked implements NodeResource {
        @Override
        public void close() {
            markClosed();
        }
    }
}
