package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test policy, {@code count}: counts the requests that reach it under its {@code counter} name, appends that
 * name to the {@code X-Policy-Trace} request header (so the upstream receives the order policies ran in) and, in the
 * phase given by {@code phase} ({@code POST_AUTHENTICATION} by default), passes the request on. Counts live for
 * the whole test JVM; tests use counter names of their own.
 */
public final class CountingPolicyFactory implements PolicyFactory {

    private static final Map<String, AtomicInteger> COUNTS = new ConcurrentHashMap<>();
    private static final Map<String, List<String>> CONSUMERS = new ConcurrentHashMap<>();

    /** Returns how many requests reached the policies counting under {@code counter}. */
    public static int count(String counter) {
        AtomicInteger count = COUNTS.get(counter);
        return count == null ? 0 : count.get();
    }

    /** Returns the consumer of each request that reached {@code counter}, {@code -} for none, in order. */
    public static List<String> consumers(String counter) {
        return CONSUMERS.getOrDefault(counter, List.of());
    }

    @Override
    public String name() {
        return "count";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        if (!config.path("counter").isTextual()) {
            errors.add("counter", "is required and must be a string");
        }
        String phase = config.path("phase").asText(PolicyPhase.POST_AUTHENTICATION.name());
        try {
            PolicyPhase.valueOf(phase);
        } catch (IllegalArgumentException e) {
            errors.add("phase", "must be one of PRE_AUTHENTICATION, AUTHENTICATION, POST_AUTHENTICATION");
        }
    }

    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.valueOf(config.path("phase").asText(PolicyPhase.POST_AUTHENTICATION.name()));
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        String counter = config.get("counter").asText();
        AtomicInteger count = COUNTS.computeIfAbsent(counter, name -> new AtomicInteger());
        List<String> consumers = CONSUMERS.computeIfAbsent(counter, name -> new CopyOnWriteArrayList<>());
        return (ctx, chain) -> {
            count.incrementAndGet();
            consumers.add(ctx.identity() == null ? "-" : ctx.identity().consumer());
            String trace = ctx.request().getHeader("X-Policy-Trace");
            ctx.request().headers().set("X-Policy-Trace", trace == null ? counter : trace + "," + counter);
            chain.proceed(ctx);
        };
    }
}
