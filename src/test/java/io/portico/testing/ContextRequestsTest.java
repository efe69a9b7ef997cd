package io.portico.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ContextRequestsTest {

    private static Vertx vertx;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void requestRunsOnEventLoopContext() {
        boolean onEventLoop = ContextRequests.send(vertx, () -> Future.succeededFuture(
                Context.isOnEventLoopThread() && Vertx.currentContext() != null));

        assertThat(onEventLoop).as("the request started on an event-loop thread with a context").isTrue();
    }

    @Test
    void sendReturnsResult() {
        assertThat(ContextRequests.send(vertx, () -> Future.succeededFuture("done"))).isEqualTo("done");
    }

    @Test
    void sendThrowsFailureUnchanged() {
        IllegalStateException failure = new IllegalStateException("connection refused");

        assertThatThrownBy(() -> ContextRequests.send(vertx, () -> Future.failedFuture(failure))).isSameAs(failure);
    }

    @Test
    void thrownExceptionFailsFuture() {
        IllegalStateException thrown = new IllegalStateException("client closed");

        Future<String> result = ContextRequests.start(vertx, () -> {
            throw thrown;
        });

        assertThatThrownBy(() -> result.await(10, TimeUnit.SECONDS)).isSameAs(thrown);
    }

    @Test
    void incompleteRequestFailsTest() {
        Promise<String> never = Promise.promise();

        assertThatThrownBy(() -> ContextRequests.send(vertx, Duration.ofMillis(100), never::future))
                .isInstanceOf(AssertionError.class)
                .hasMessage("the request timed out: its future did not complete within 100 ms");
    }
}
