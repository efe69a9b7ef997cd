package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.ProviderSpec;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cool-downs per key and provider model after 429, and keys taken out for every model after 401 or 403. */
class KeyPoolTest {

    private static KeyPool pool(String... secrets) {
        List<ProviderSpec.Key> keys = Arrays.stream(secrets).map(s -> new ProviderSpec.Key(s, 1, null))
                .toList();
        return new KeyPool(new ProviderSpec("p", "openai", null, keys, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null));
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
    void rejectedKeyServesNoModel() {
        KeyPool pool = pool("k1");
        KeyPool.Key key = pool.next("gpt-4o");

        pool.revoke(key, 401);

        assertThat(pool.next("gpt-4o")).isNull();
        assertThat(pool.next("gpt-4o-mini")).isNull();
        assertThat(pool.allRevoked()).isTrue();
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
}
