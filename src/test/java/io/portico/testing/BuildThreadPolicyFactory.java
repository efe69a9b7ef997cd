package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.vertx.core.Context;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A test policy, {@code build-thread}: passes every request on, and records the thread each policy instance was
 * created on for a runtime that serves, so tests can tell where a configuration version is compiled. Compilations
 * that only check a candidate are not recorded. A test can {@link #hold} the creations of one tag, to make a
 * compilation finish late.
 */
public final class BuildThreadPolicyFactory implements PolicyFactory {

    private static final List<BuildThread> THREADS = new CopyOnWriteArrayList<>();
    private static final Map<String, CountDownLatch> HOLDS = new ConcurrentHashMap<>();

    /**
     * Makes every later creation for a serving runtime with {@code tag} wait until the returned latch counts down,
     * for at most 30 seconds.
     */
    public static CountDownLatch hold(String tag) {
        return HOLDS.computeIfAbsent(tag, unused -> new CountDownLatch(1));
    }

    /** Returns the thread of each creation for a serving runtime, in order, for the whole test JVM. */
    public static List<BuildThread> threads() {
        return List.copyOf(THREADS);
    }

    @Override
    public String name() {
        return "build-thread";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        String tag = config.path("tag").asText();
        if (!context.checkOnly()) {
            THREADS.add(new BuildThread(tag, Thread.currentThread().getName(), Context.isOnEventLoopThread()));
            awaitRelease(tag);
        }
        return (ctx, chain) -> chain.proceed(ctx);
    }

    private static void awaitRelease(String tag) {
        CountDownLatch hold = HOLDS.get(tag);
        if (hold == null) {
            return;
        }
        try {
            if (!hold.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("policies tagged " + tag + " were held for 30 s and never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while policies tagged " + tag + " were held", e);
        }
    }

    /**
     * One policy creation.
     *
     * @param tag the policy's {@code tag} setting, so a test finds the creations of its own configuration
     */
    public record BuildThread(String tag, String thread, boolean eventLoop) {
    }
}
