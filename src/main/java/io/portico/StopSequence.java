package io.portico;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of a node's stop, run one after another, each with a bounded wait.
 *
 * <p>A step that fails, throws or does not complete within its timeout is logged at WARN with its name, and the
 * next step runs all the same, so that one stuck component cannot keep the others open. The future that
 * {@link #run()} returns completes after the last step and fails with the first step's failure, if any.
 *
 * <p>The timeouts run on a JDK timer rather than a Vert.x one, because the last step closes the event loops.
 */
final class StopSequence {

    private static final Logger LOG = LoggerFactory.getLogger(StopSequence.class);

    private final Duration defaultTimeout;
    private final List<Step> steps = new ArrayList<>();

    /** Creates an empty sequence whose steps get {@code defaultTimeout} unless they set their own. */
    StopSequence(Duration defaultTimeout) {
        this.defaultTimeout = requireNonNull(defaultTimeout, "defaultTimeout");
    }

    /** Adds a step that may take up to the default timeout. */
    StopSequence then(String name, Supplier<? extends Future<?>> action) {
        return then(name, defaultTimeout, action);
    }

    /**
     * Adds a step.
     *
     * @param name what the step stops, as it reads in a log line: "the admin API"
     * @param timeout how long the sequence waits for the step's future before it goes on
     */
    StopSequence then(String name, Duration timeout, Supplier<? extends Future<?>> action) {
        steps.add(new Step(requireNonNull(name, "name"), requireNonNull(timeout, "timeout"),
                requireNonNull(action, "action")));
        return this;
    }

    /** Runs the steps in the order they were added. Call it once. */
    Future<Void> run() {
        Promise<Void> done = Promise.promise();
        runFrom(0, null, done);
        return done.future();
    }

    private void runFrom(int index, Throwable firstFailure, Promise<Void> done) {
        if (index == steps.size()) {
            if (firstFailure == null) {
                done.complete();
            } else {
                done.fail(firstFailure);
            }
            return;
        }
        Step step = steps.get(index);
        long started = System.nanoTime();
        bounded(step).onComplete((ignored, failure) -> {
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (failure == null) {
                LOG.debug("Stopped {} in {} ms", step.name(), millis);
            } else if (failure instanceof TimeoutException) {
                LOG.warn("Stopping {} timed out after {} ms, so the stop goes on with the next step", step.name(),
                        step.timeout().toMillis());
            } else {
                LOG.warn("Stopping {} failed after {} ms, so the stop goes on with the next step", step.name(),
                        millis, failure);
            }
            runFrom(index + 1, firstFailure == null ? failure : firstFailure, done);
        });
    }

    private static Future<Void> bounded(Step step) {
        Future<?> started;
        try {
            started = step.action().get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        CompletableFuture<Void> completion = new CompletableFuture<>();
        started.onComplete((ignored, failure) -> {
            if (failure == null) {
                completion.complete(null);
            } else {
                completion.completeExceptionally(failure);
            }
        });
        completion.orTimeout(step.timeout().toMillis(), TimeUnit.MILLISECONDS);
        return Future.fromCompletionStage(completion).recover(failure -> Future.failedFuture(
                failure instanceof TimeoutException ? new TimeoutException("stopping " + step.name()
                        + " timed out after " + step.timeout().toMillis() + " ms") : failure));
    }

    private record Step(String name, Duration timeout, Supplier<? extends Future<?>> action) {
    }
}
