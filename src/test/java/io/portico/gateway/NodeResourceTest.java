package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.NodeValuePolicyFactory;
import io.portico.testing.NodeValuePolicyFactory.Tracked;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-node values of a real node: what a compile check creates is closed when the check ends, and a
 * {@code NodeResource} that no serving configuration uses is closed {@code drainTimeout} after the last one that
 * used it stopped serving, while other values stay. The {@code node-value} test policy requests the values.
 */
class NodeResourceTest {

    private static final Duration DRAIN = Duration.ofSeconds(2);

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("node-value");
        node = TestNode.start(Map.of("drainTimeout", DRAIN.toMillis() + "ms"));
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    /** Returns a document with the route {@code plain} and one route per key, whose policy requests that key. */
    private static Configs config(String... keys) {
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("plain", "up", "/plain");
        for (String key : keys) {
            policies(config, key).addObject().put("name", "node-value").putObject("config").put("key", key);
        }
        return config;
    }

    private static ArrayNode policies(Configs config, String key) {
        return config.route(key, "up", "/" + key).putArray("policies");
    }

    /** Adds a route whose value under {@code key} is not a {@code NodeResource}. */
    private static void plainValue(Configs config, String key) {
        policies(config, key).addObject().put("name", "node-value").putObject("config").put("key", key)
                .put("resource", false);
    }

    /** Adds a route that requests {@code key} and then fails to compile, so a write that contains it is rejected. */
    private static void rejected(Configs config, String key) {
        ArrayNode policies = policies(config, key + "-rejected");
        policies.addObject().put("name", "node-value").putObject("config").put("key", key);
        policies.addObject().put("name", "uncompilable");
    }

    @Test
    void rejectedCheckClosesWhatItCreated() {
        Configs config = config();
        rejected(config, "check-only");

        assertProblem(node.adminRaw("POST", "/admin/v1/config/apply", config.build()), 400,
                "invalid-configuration");

        List<Tracked> created = NodeValuePolicyFactory.created("check-only");
        assertThat(created).hasSize(1);
        assertThat(created.get(0).closes()).isEqualTo(1);
    }

    @Test
    void checkReadsServedValueAndLeavesItOpen() {
        node.apply(config("served").build());
        Tracked served = served("served");
        int createdBefore = NodeValuePolicyFactory.created("served").size();
        Configs config = config("served");
        rejected(config, "served");

        assertProblem(node.adminRaw("POST", "/admin/v1/config/apply", config.build()), 400,
                "invalid-configuration");

        assertThat(NodeValuePolicyFactory.created("served")).hasSize(createdBefore);
        assertThat(served.closed()).isFalse();
        assertThat(get(node, "/served").statusCode()).isEqualTo(200);
    }

    @Test
    void unusedResourceClosesAfterDrainTimeout() {
        node.apply(config("removed").build());
        Tracked served = served("removed");

        long removedAt = System.nanoTime();
        node.apply(config().build());

        assertThat(served.closed()).as("closed before the drain timeout").isFalse();
        Conditions.eventually("the unused value is closed", served::closed);
        assertThat(served.closedAtNanos() - removedAt).isGreaterThanOrEqualTo(DRAIN.toNanos());
        assertThat(served.closes()).isEqualTo(1);

        node.apply(config("removed").build());

        Tracked restored = served("removed");
        assertThat(restored).isNotSameAs(served);
        assertThat(restored.closed()).isFalse();
    }

    @Test
    void resourceRestoredWithinDrainTimeoutStays() throws Exception {
        node.apply(config("restored").build());
        Tracked served = served("restored");
        node.apply(config().build());
        node.apply(config("restored").build());

        Thread.sleep(DRAIN.toMillis() + 1000);

        assertThat(served("restored")).isSameAs(served);
        assertThat(served.closed()).isFalse();
    }

    @Test
    void valueThatIsNoResourceOutlivesItsConfiguration() throws Exception {
        Configs withValue = config();
        plainValue(withValue, "counter");
        node.apply(withValue.build());
        Tracked served = served("counter");
        node.apply(config().build());

        Thread.sleep(DRAIN.toMillis() + 1000);
        Configs restored = config();
        plainValue(restored, "counter");
        node.apply(restored.build());

        assertThat(served("counter")).isSameAs(served);
        assertThat(served.closed()).isFalse();
    }

    @Test
    void stoppedNodeClosesItsResources() {
        TestNode stopped = TestNode.start();
        try {
            stopped.apply(config("at-stop").build());
        } finally {
            stopped.close();
        }

        List<Tracked> created = NodeValuePolicyFactory.created("at-stop");
        assertThat(created).isNotEmpty();
        assertThat(created).allSatisfy(value -> assertThat(value.closes()).isEqualTo(1));
    }

    /**
     * Returns the value the serving configuration uses under {@code key}: the last one created, since the compile
     * check of each write runs before the write is applied.
     */
    private static Tracked served(String key) {
        List<Tracked> created = NodeValuePolicyFactory.created(key);
        assertThat(created).as("values created under " + key).isNotEmpty();
        return created.get(created.size() - 1);
    }
}
