package io.portico.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.vertx.core.Future;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Specifications and waiting helpers shared by the store tests. */
final class TestSpecs {

    private TestSpecs() {
    }

    /** Returns a valid service specification with one target on loopback. */
    static ObjectNode service(String name, int port) {
        return json("{\"name\": \"" + name + "\", \"targets\": [{\"host\": \"127.0.0.1\", \"port\": " + port + "}]}");
    }

    static ObjectNode json(String text) {
        try {
            return Json.MAPPER.readValue(text, ObjectNode.class);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until {@code condition} is true, checking every 10 ms, and fails naming {@code description} after
     * {@code timeout}.
     */
    static void await(Duration timeout, String description, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + description);
            }
            Thread.sleep(10);
        }
    }

    /** Blocks the test thread until {@code future} completes, for at most ten seconds. */
    static <T> T join(Future<T> future) throws InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture<T> completable = future.toCompletionStage().toCompletableFuture();
        return completable.get(10, TimeUnit.SECONDS);
    }
}
