package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelCatalog;
import io.portico.ai.spi.AdapterContext;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** How requested model names resolve to provider models, and the order each strategy tries them in. */
class AiRuntimeTest {

    private static Vertx vertx;
    private static AdapterContext context;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        context = new AdapterContext(vertx, vertx.createHttpClient(), ModelCatalog.builtIn());
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    private static Resource resource(String kind, String json) {
        try {
            ObjectNode spec = (ObjectNode) Json.MAPPER.readTree(json);
            return new Resource(kind, spec.get("name").asText(), spec, 1, Instant.EPOCH);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static AiRuntime runtime(String strategy) {
        List<Resource> resources = new ArrayList<>();
        for (String name : new String[] {"a", "b", "c"}) {
            resources.add(resource("providers", "{\"name\":\"" + name + "\",\"type\":\"openai-compatible\","
                    + "\"baseUrl\":\"http://127.0.0.1:1/v1\",\"models\":[\"shared\"]}"));
        }
        resources.add(resource("models", "{\"name\":\"v\",\"strategy\":\"" + strategy + "\",\"targets\":["
                + "{\"provider\":\"a\",\"model\":\"m1\",\"weight\":1},"
                + "{\"provider\":\"b\",\"model\":\"m2\",\"weight\":3},"
                + "{\"provider\":\"c\",\"model\":\"m3\",\"weight\":0}]}"));
        return AiRuntime.build(ConfigSnapshot.of(1, resources), AiRuntime.empty(), AiRuntime.adapterCache(context));
    }

    private static List<String> order(AiRuntime runtime, String model) {
        return runtime.resolve(model).stream().map(Target::address).toList();
    }

    @Test
    void resolvesVirtualQualifiedAndListedNames() {
        AiRuntime runtime = runtime("fallback");

        assertThat(order(runtime, "v")).containsExactly("a/m1", "b/m2", "c/m3");
        assertThat(order(runtime, "b/anything")).containsExactly("b/anything");
        assertThat(order(runtime, "shared")).containsExactly("a/shared", "b/shared", "c/shared");
        assertThat(order(runtime, "unknown")).isEmpty();
        assertThat(order(runtime, "z/m")).isEmpty();
    }

    @Test
    void drawsTheFirstTargetByWeight() {
        AiRuntime runtime = runtime("weighted");
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            List<String> targets = order(runtime, "v");
            first.merge(targets.get(0), 1, Integer::sum);
            assertThat(targets).hasSize(3);
        }

        assertThat(first).doesNotContainKey("c/m3");
        assertThat(first.get("b/m2")).isBetween(2700, 3300);
    }

    @Test
    void triesTheFastestAndTheLeastBusyFirst() {
        AiRuntime latency = runtime("least-latency");
        latency.providers().get("a").stats("m1").recordLatency(300);
        latency.providers().get("b").stats("m2").recordLatency(100);
        latency.providers().get("c").stats("m3").recordLatency(200);
        assertThat(order(latency, "v")).containsExactly("b/m2", "c/m3", "a/m1");

        AiRuntime busy = runtime("least-busy");
        busy.providers().get("a").stats("m1").started();
        busy.providers().get("a").stats("m1").started();
        busy.providers().get("b").stats("m2").started();
        assertThat(order(busy, "v")).containsExactly("c/m3", "b/m2", "a/m1");
    }

    @Test
    void keepsProviderStateWhileItsConfigurationIsUnchanged() {
        AiRuntime first = runtime("fallback");
        first.providers().get("a").stats("m1").recordLatency(42);

        List<Resource> same = new ArrayList<>();
        same.add(resource("providers", "{\"name\":\"a\",\"type\":\"openai-compatible\","
                + "\"baseUrl\":\"http://127.0.0.1:1/v1\",\"models\":[\"shared\"]}"));
        AiRuntime next = AiRuntime.build(ConfigSnapshot.of(2, same), first, AiRuntime.adapterCache(context));

        assertThat(next.providers().get("a")).isSameAs(first.providers().get("a"));
    }

    @Test
    void checksRouteModelPatterns() {
        AiRuntime runtime = runtime("fallback");

        assertThat(AiRuntime.allowed(List.of(), "v", runtime.resolve("v"))).isTrue();
        assertThat(AiRuntime.allowed(List.of("v"), "v", runtime.resolve("v"))).isTrue();
        assertThat(AiRuntime.allowed(List.of("a/*"), "a/x", runtime.resolve("a/x"))).isTrue();
        assertThat(AiRuntime.allowed(List.of("a/*"), "b/x", runtime.resolve("b/x"))).isFalse();
        assertThat(AiRuntime.allowed(List.of("a/*", "b/*"), "shared", runtime.resolve("shared"))).isFalse();
        assertThat(AiRuntime.allowed(List.of("*"), "anything", List.of())).isTrue();
        assertThat(AiRuntime.allowedTargets(List.of("b/*"), "shared", runtime.resolve("shared")))
                .extracting(Target::address).containsExactly("b/shared");
    }
}
