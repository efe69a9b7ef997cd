package io.portico;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.testing.LogCapture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class StopSequenceTest {

    /** Long enough that no step of these tests runs into it unless it never completes. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void stepsRunInOrder() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        Promise<Void> later = Promise.promise();

        Future<Void> run = new StopSequence(TIMEOUT)
                .then("first", () -> {
                    ran.add("first");
                    return later.future();
                })
                .then("second", () -> {
                    ran.add("second");
                    return Future.succeededFuture();
                })
                .run();

        assertThat(ran).containsExactly("first");
        later.complete();
        join(run);
        assertThat(ran).containsExactly("first", "second");
    }

    @Test
    void pendingStepTimesOutAndNextRuns() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        try (LogCapture log = new LogCapture(StopSequence.class)) {
            Future<Void> run = new StopSequence(TIMEOUT)
                    .then("the stuck part", Duration.ofMillis(200), () -> Promise.promise().future())
                    .then("the last part", () -> {
                        ran.add("the last part");
                        return Future.succeededFuture();
                    })
                    .run();

            assertThatThrownBy(() -> join(run)).cause()
                    .isInstanceOf(TimeoutException.class)
                    .hasMessage("stopping the stuck part timed out after 200 ms");
            assertThat(ran).containsExactly("the last part");
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .contains("Stopping the stuck part timed out after 200 ms");
        }
    }

    @Test
    void throwingStepFailsRunAndNextRuns() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        try (LogCapture log = new LogCapture(StopSequence.class)) {
            Future<Void> run = new StopSequence(TIMEOUT)
                    .then("the broken part", () -> {
                        throw new IllegalStateException("broken");
                    })
                    .then("the failing part", () -> Future.failedFuture(new IllegalStateException("failed")))
                    .then("the last part", () -> {
                        ran.add("the last part");
                        return Future.succeededFuture();
                    })
                    .run();

            assertThatThrownBy(() -> join(run)).cause().hasMessage("broken");
            assertThat(ran).containsExactly("the last part");
            assertThat(log.messages(Level.WARN)).hasSize(2);
            assertThat(log.messages(Level.WARN).get(0)).startsWith("Stopping the broken part failed");
            assertThat(log.messages(Level.WARN).get(1)).startsWith("Stopping the failing part failed");
        }
    }

    @Test
    void emptySequenceCompletes() throws Exception {
        Future<Void> run = new StopSequence(TIMEOUT).run();

        assertThat(run.succeeded()).isTrue();
    }

    private static void join(Future<Void> future) throws InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture<Void> completable = future.toCompletionStage().toCompletableFuture();
        completable.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
}
