package io.portico.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.config.ServiceSpec;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryBudgetTest {

    private final AtomicLong clock = new AtomicLong(123_456_789L);

    @Test
    void allowsRetriesUpToShareOfRequests() {
        RetryBudget budget = new RetryBudget(0.2, 0, clock::get);
        for (int i = 0; i < 100; i++) {
            budget.onRequest();
        }

        int allowed = acquireAll(budget, 50);

        assertThat(allowed).isEqualTo(20);
    }

    @Test
    void allowsMinimumRetriesEachSecond() {
        RetryBudget budget = new RetryBudget(0, 3, clock::get);

        assertThat(acquireAll(budget, 10)).isEqualTo(3);
        advance(Duration.ofSeconds(1));
        assertThat(acquireAll(budget, 10)).as("a new second brings new minimum retries").isEqualTo(3);
    }

    @Test
    void minimumRetriesComeOnTopOfShare() {
        RetryBudget budget = new RetryBudget(0.1, 2, clock::get);
        for (int i = 0; i < 50; i++) {
            budget.onRequest();
        }

        assertThat(acquireAll(budget, 20)).isEqualTo(7);
    }

    @Test
    void requestsOlderThanWindowNoLongerCount() {
        RetryBudget budget = new RetryBudget(0.5, 0, clock::get);
        for (int i = 0; i < 10; i++) {
            budget.onRequest();
        }
        advance(Duration.ofSeconds(9));
        assertThat(budget.tryAcquireRetry()).as("nine seconds later the requests still count").isTrue();

        advance(Duration.ofSeconds(1));

        assertThat(budget.tryAcquireRetry()).isFalse();
    }

    @Test
    void retriesOlderThanWindowNoLongerCount() {
        RetryBudget budget = new RetryBudget(0.5, 0, clock::get);
        for (int i = 0; i < 4; i++) {
            budget.onRequest();
        }
        assertThat(acquireAll(budget, 5)).isEqualTo(2);
        advance(Duration.ofSeconds(5));
        for (int i = 0; i < 4; i++) {
            budget.onRequest();
        }
        assertThat(acquireAll(budget, 5)).as("8 requests and 2 earlier retries leave 2").isEqualTo(2);

        advance(Duration.ofSeconds(5));

        assertThat(acquireAll(budget, 5)).as("the first 4 requests and 2 retries expired").isZero();
        advance(Duration.ofSeconds(5));
        assertThat(acquireAll(budget, 5)).isZero();
    }

    @Test
    void budgetOfServiceSettings() {
        RetryBudget budget = RetryBudget.of(new ServiceSpec.Retries(null, null, 0.0, 0));

        budget.onRequest();

        assertThat(budget.tryAcquireRetry()).isFalse();
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThatThrownBy(() -> new RetryBudget(1.5, 0)).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> new RetryBudget(0.2, -1)).hasMessageContaining("must not be negative");
    }

    @ParameterizedTest
    @CsvSource({"GET, true", "HEAD, true", "OPTIONS, true", "TRACE, true", "PUT, true", "DELETE, true",
        "POST, false", "PATCH, false", "CONNECT, false"})
    void idempotentMethods(String method, boolean idempotent) {
        assertThat(RetryBudget.isIdempotent(HttpMethod.valueOf(method))).isEqualTo(idempotent);
    }

    private void advance(Duration duration) {
        clock.addAndGet(duration.toNanos());
    }

    private static int acquireAll(RetryBudget budget, int attempts) {
        int allowed = 0;
        for (int i = 0; i < attempts; i++) {
            if (budget.tryAcquireRetry()) {
                allowed++;
            }
        }
        return allowed;
    }
}
