package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.provider.OpenAiAdapter;
import io.portico.ai.provider.OpenAiDialect;
import io.portico.ai.provider.ProviderTypes;
import io.portico.ai.spi.AiError;
import io.portico.config.ProviderSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Rests per key and provider model after 429, 401 and 403, keys taken out of the pool after rejections, and the
 * round-robin rotation among the keys that remain.
 */
class KeyPoolTest {

    private static KeyPool pool(String... secrets) {
        return new KeyPool(spec(secrets));
    }

    private static ProviderSpec spec(String... secrets) {
        List<ProviderSpec.Key> keys = Arrays.stream(secrets).map(s -> new ProviderSpec.Key(s, 1, null))
                .toList();
        return new ProviderSpec("p", "openai", null, keys, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null);
    }

    @Test
    void rateLimitCoolsDownOnlyItsModel() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("gpt-4o");

        pool.coolDown(key, "gpt-4o", 60_000);

        assertThat(pool.next("gpt-4o")).isNull();
        assertThat(pool.next("gpt-4o-mini")).isSameAs(key);
        assertThat(pool.millisUntilAvailable("gpt-4o")).isBetween(50_000L, 60_000L);
        assertThat(pool.millisUntilAvailable("gpt-4o-mini")).isZero();
    }

    @Test
    void otherKeyServesCoolingModel() {
        KeyPool pool = pool("k1", "k2");
        KeyPool.Key first = pool.next("gpt-4o");

        pool.coolDown(first, "gpt-4o", 60_000);

        for (int i = 0; i < 4; i++) {
            KeyPool.Key next = pool.next("gpt-4o");
            assertThat(next).isNotNull();
            assertThat(next).isNotSameAs(first);
        }
    }

    @Test
    void rejectionOnListedModelTakesKeyOut() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("gpt-4o");

        pool.rejected(key, "gpt-4o", 401, true, false);

        assertThat(pool.next("gpt-4o")).isNull();
        assertThat(pool.next("gpt-4o-mini")).isNull();
        assertThat(pool.allRejected("gpt-4o-mini")).isTrue();
    }

    @Test
    void rejectionOnNamedModelRestsOnlyThatModel() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("restricted");

        pool.rejected(key, "restricted", 403, false, false);

        assertThat(pool.next("restricted")).isNull();
        assertThat(pool.allRejected("restricted")).isTrue();
        assertThat(pool.next("gpt-4o")).isSameAs(key);
        assertThat(pool.allRejected("gpt-4o")).isFalse();
    }

    @Test
    void rejectionsOnDifferentModelsTakeKeyOut() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("m");
        for (int i = 1; i < KeyPool.MAX_REJECTED_MODELS; i++) {
            pool.rejected(key, "m" + i, 401, false, false);
        }
        assertThat(pool.next("other")).isSameAs(key);

        pool.rejected(key, "m" + KeyPool.MAX_REJECTED_MODELS, 401, false, false);

        assertThat(pool.next("other")).isNull();
        assertThat(pool.allRejected("other")).isTrue();
    }

    @Test
    void successResetsRejectedModelCount() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("m");
        for (int i = 1; i < KeyPool.MAX_REJECTED_MODELS; i++) {
            pool.rejected(key, "m" + i, 403, false, false);
        }

        pool.succeeded(key);
        pool.rejected(key, "last", 403, false, false);

        assertThat(pool.next("other")).isSameAs(key);
    }

    @Test
    void modelNamedRejectionsNeverTakeKeyOut() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("m");
        for (int i = 0; i < KeyPool.MAX_REJECTED_MODELS + 2; i++) {
            pool.rejected(key, "m" + i, 403, i == 0, true);
        }

        assertThat(pool.next("m0")).isNull();
        assertThat(pool.next("other")).isSameAs(key);
    }

    @Test
    void keyTakenOutReturnsAfterRest() throws InterruptedException {
        KeyPool pool = new KeyPool(spec("k1"), 200);
        KeyPool.Key key = pool.next("gpt-4o");

        pool.rejected(key, "gpt-4o", 401, true, false);

        assertThat(pool.next("gpt-4o-mini")).isNull();
        Thread.sleep(300);
        assertThat(pool.next("gpt-4o-mini")).isSameAs(key);
        assertThat(pool.next("gpt-4o")).isSameAs(key);
        assertThat(pool.allRejected("gpt-4o")).isFalse();
    }

    @Test
    void errorNamesModel() {
        assertThat(KeyPool.namesModel(AiError.of(403, "model_not_found", "p: no access"), "gpt-4o")).isTrue();
        assertThat(KeyPool.namesModel(AiError.of(403, "p: Project `proj_1` does not have access to model "
                + "`gpt-4o-mini`"), "gpt-4o-mini")).isTrue();
        assertThat(KeyPool.namesModel(AiError.of(403, "p: Publisher model projects/p/locations/us/publishers/google/"
                + "models/gemini-2.0-pro not enabled."), "gemini-2.0-pro")).isTrue();
        assertThat(KeyPool.namesModel(AiError.of(403, "p: no access to model gpt-4o."), "gpt-4o")).isTrue();
        assertThat(KeyPool.namesModel(AiError.of(403, "p: no access to model gpt-4o-mini"), "gpt-4o")).isFalse();
        assertThat(KeyPool.namesModel(AiError.of(401, "invalid_api_key", "p: Incorrect API key provided"),
                "gpt-4o")).isFalse();
    }

    @Test
    void expiredCoolDownIsRemoved() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("gpt-4o");

        pool.coolDown(key, "gpt-4o", 0);

        assertThat(pool.next("gpt-4o")).isSameAs(key);
        assertThat(key.coolingModels()).isZero();
    }

    @Test
    void coolingModelsPerKeyAreCapped() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("m");
        for (int i = 0; i < KeyPool.MAX_COOLING_MODELS; i++) {
            pool.coolDown(key, "m" + i, 60_000);
        }
        assertThat(key.coolingModels()).isEqualTo(KeyPool.MAX_COOLING_MODELS);
        assertThat(pool.next("other")).isSameAs(key);

        pool.coolDown(key, "one-more", 60_000);

        assertThat(key.coolingModels()).isEqualTo(KeyPool.MAX_COOLING_MODELS);
        assertThat(pool.next("other")).as("the whole key cools down once the map is full").isNull();
    }

    @Test
    void fullMapDropsExpiredEntriesFirst() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("m");
        for (int i = 0; i < KeyPool.MAX_COOLING_MODELS; i++) {
            pool.coolDown(key, "m" + i, 0);
        }

        pool.coolDown(key, "limited", 60_000);

        assertThat(key.coolingModels()).isEqualTo(1);
        assertThat(pool.next("limited")).isNull();
        assertThat(pool.next("other")).isSameAs(key);
    }

    @Test
    void restingKeyLeavesEvenRotation() {
        KeyPool pool = pool("k1", "k2", "k3");
        KeyPool.Key first = pool.next("gpt-4o");
        pool.coolDown(first, "gpt-4o", 60_000);

        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            labels.add(pool.next("gpt-4o").label());
        }

        assertThat(labels).containsExactly("#2", "#3", "#2", "#3", "#2", "#3");
    }

    @Test
    void peekLeavesRotationInPlace() {
        KeyPool pool = pool("k1", "k2");

        KeyPool.Key peeked = pool.peek("gpt-4o", Set.of());

        assertThat(pool.next("gpt-4o")).isSameAs(peeked);
        assertThat(pool.next("gpt-4o")).isNotSameAs(peeked);
    }

    @Test
    void retryAfterRateLimitTakesNextKey() {
        ProviderRuntime provider = new ProviderRuntime(spec("k1", "k2", "k3"),
                ProviderTypes.find("openai").orElseThrow(), new OpenAiAdapter(OpenAiDialect.OPENAI));
        List<String> labels = new ArrayList<>();
        for (int request = 0; request < 3; request++) {
            String model = "model-" + request;
            KeySelection keys = new KeySelection(provider, model, null);
            KeyPool.Key key = keys.next();
            labels.add(key.label());
            if (key.label().equals("#1")) {
                provider.keys().coolDown(key, model, 60_000);
                keys.failed(key);
                assertThat(keys.hasNext()).isTrue();
                labels.add(keys.next().label());
            }
        }

        assertThat(labels).containsExactly("#1", "#2", "#3", "#1", "#2");
    }
}
