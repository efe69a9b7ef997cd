package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.config.ValidationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code redis} node settings, from files and environment variables. */
class RedisSettingsTest {

    @Test
    void redisIsOffByDefault() {
        NodeConfig.Redis redis = NodeConfig.defaults().redis();

        assertThat(redis.enabled()).isFalse();
        assertThat(redis.mode()).isEqualTo("standalone");
        assertThat(redis.timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(redis.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(redis.retryInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(redis.keyPrefix()).isEqualTo("portico:");
    }

    @Test
    void environmentSetsRedisSettings() {
        NodeConfig node = NodeConfigLoader.load(null, Map.of(
                "PORTICO_REDIS_URL", "redis://s1:26379,redis://s2:26379",
                "PORTICO_REDIS_MODE", "Sentinel",
                "PORTICO_REDIS_MASTER_NAME", "portico",
                "PORTICO_REDIS_USERNAME", "gateway",
                "PORTICO_REDIS_PASSWORD", "pa55word",
                "PORTICO_REDIS_TIMEOUT", "20ms"), Map.of());

        NodeConfig.Redis redis = node.redis();
        assertThat(redis.enabled()).isTrue();
        assertThat(redis.url()).isEqualTo("redis://s1:26379,redis://s2:26379");
        assertThat(redis.mode()).isEqualTo("sentinel");
        assertThat(redis.masterName()).isEqualTo("portico");
        assertThat(redis.username()).isEqualTo("gateway");
        assertThat(redis.password()).isEqualTo("pa55word");
        assertThat(redis.timeout()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void fileSetsEveryRedisSetting(@TempDir Path directory) throws IOException {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, """
                redis:
                  url: redis://a:6379,redis://b:6379
                  mode: cluster
                  connectTimeout: 2s
                  retryInterval: 500ms
                  keyPrefix: "staging:"
                """);

        NodeConfig.Redis redis = NodeConfigLoader.load(file, Map.of(), Map.of()).redis();

        assertThat(redis.mode()).isEqualTo("cluster");
        assertThat(redis.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(redis.retryInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(redis.keyPrefix()).isEqualTo("staging:");
    }

    @Test
    void unknownModeIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of("PORTICO_REDIS_MODE", "replicated"), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("redis.mode");
    }

    @Test
    void zeroTimeoutIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of("PORTICO_REDIS_TIMEOUT", "0ms"), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("redis.timeout: must be positive");
    }

    @Test
    void sentinelWithoutMasterNameIsRejected() {
        Map<String, String> env = Map.of("PORTICO_REDIS_URL", "redis://127.0.0.1:26379",
                "PORTICO_REDIS_MODE", "sentinel");

        assertThatThrownBy(() -> NodeConfigLoader.load(null, env, Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("redis.masterName: is required in sentinel mode");
    }

    @Test
    void cacheRedisIsOffByDefault() {
        NodeConfig node = NodeConfig.defaults();

        assertThat(node.cache().redis().enabled()).isFalse();
        assertThat(node.cache().redis().timeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void cacheRedisFromEnvironment() {
        Map<String, String> env = Map.of("PORTICO_CACHE_REDIS_URL", "redis://cache.internal:6379",
                "PORTICO_CACHE_REDIS_PASSWORD", "cache-secret", "PORTICO_CACHE_REDIS_TIMEOUT", "2s");

        NodeConfig node = NodeConfigLoader.load(null, env, Map.of());

        assertThat(node.cache().redis().enabled()).isTrue();
        assertThat(node.cache().redis().url()).isEqualTo("redis://cache.internal:6379");
        assertThat(node.cache().redis().password()).isEqualTo("cache-secret");
        assertThat(node.cache().redis().timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(node.redis().enabled()).isFalse();
    }

    @Test
    void cacheRedisErrorsNameTheSetting(@TempDir Path directory) throws IOException {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, """
                cache:
                  redis:
                    url: redis://cache.internal:6379
                    mode: sentinel
                """);

        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of("PORTICO_CACHE_REDIS_TIMEOUT", "0ms"), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("cache.redis.timeout: must be positive");
        assertThatThrownBy(() -> NodeConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("cache.redis.masterName: is required in sentinel mode");
    }

    @Test
    void passwordsNeverAppearInText() {
        NodeConfig.Redis redis = new NodeConfig.Redis("redis://user:url-secret@h:6379,rediss://:other-secret@g:6380",
                null, null, "user", "field-secret", null, null, null, null);

        String text = redis.toString();

        assertThat(redis.redactedUrl()).isEqualTo("redis://user:****@h:6379,rediss://:****@g:6380");
        assertThat(text).doesNotContain("url-secret").doesNotContain("other-secret").doesNotContain("field-secret");
        assertThat(text).contains("password=****");
    }
}
