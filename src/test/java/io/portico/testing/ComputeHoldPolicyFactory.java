package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiGateway;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test policy, {@code ai-compute-hold}: once a test has called {@link #arm}, the next AI request that passes it
 * fills every thread of the AI gateway's compute pool with a task that waits for {@link #release}, and only then
 * passes its request checks. Whatever the AI backend runs on that pool after the checks, such as building a large
 * provider request, waits as well, while the event loop goes on. Tasks wait at most 30 seconds.
 */
public final class ComputeHoldPolicyFactory implements PolicyFactory {

    /** The name of the AI gateway's compute pool, which Vert.x shares among executors of the same name. */
    private static final String POOL = "portico-ai-compute";
    /** The threads of the pool, one per core, as the AI gateway creates it in the same JVM. */
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    private static volatile CountDownLatch released = new CountDownLatch(0);
    private static volatile CountDownLatch holding = new CountDownLatch(0);

    /**
     * Makes the next request that passes the policy hold the compute pool, and returns a latch that counts down once
     * every thread of the pool waits.
     */
    public static synchronized CountDownLatch arm() {
        released = new CountDownLatch(1);
        holding = new CountDownLatch(1);
        return holding;
    }

    /** Lets the tasks that hold the pool finish. */
    public static void release() {
        released.countDown();
    }

    @Override
    public String name() {
        return "ai-compute-hold";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        Vertx vertx = context.vertx();
        return (ctx, chain) -> {
            AiGateway.checkRequest(ctx, (checked, estimate) -> hold(vertx));
            chain.proceed(ctx);
        };
    }

    private static Future<Boolean> hold(Vertx vertx) {
        CountDownLatch gate;
        CountDownLatch held;
        synchronized (ComputeHoldPolicyFactory.class) {
            gate = released;
            held = holding;
            if (held.getCount() == 0) {
                return Future.succeededFuture(true);
            }
            // Later requests pass at once.
            holding = new CountDownLatch(0);
        }
        WorkerExecutor pool = vertx.createSharedWorkerExecutor(POOL, THREADS);
        Context context = vertx.getOrCreateContext();
        Promise<Boolean> admitted = Promise.promise();
        AtomicInteger started = new AtomicInteger();
        for (int i = 0; i < THREADS; i++) {
            pool.executeBlocking(() -> {
                if (started.incrementAndGet() == THREADS) {
                    held.countDown();
                    context.runOnContext(ignored -> admitted.complete(true));
                }
                return gate.await(30, TimeUnit.SECONDS);
            }, false);
        }
        return admitted.future();
    }
}
