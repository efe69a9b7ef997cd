package io.portico.gateway;

import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.BuildThreadPolicyFactory;
import io.portico.testing.BuildThreadPolicyFactory.BuildThread;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node with ten thousand routes, each with an exact path, a regular expression, a host and a wildcard host,
 * applies a change while a client keeps sending requests. The change compiles off the event loops, and the node
 * serves it by the time the admin API responds.
 */
class OffLoopApplyTest {

    private static final int ROUTES = 10_000;
    /** Maximum wait for an apply. It only bounds a hang, because the time depends on the machine's load. */
    private static final Duration APPLY_TIMEOUT = Duration.ofMinutes(5);

    private TestUpstream upstream;
    private TestNode node;

    @BeforeEach
    void start() {
        upstream = TestUpstream.start("many");
        node = TestNode.start();
    }

    @AfterEach
    void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void changeCompilesOffEventLoop() throws Exception {
        node.apply(document("first", false), APPLY_TIMEOUT);
        assertThat(get(node, "/probe").statusCode()).isEqualTo(200);

        List<Integer> statuses = new CopyOnWriteArrayList<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread client = new Thread(() -> {
            while (sending.get()) {
                statuses.add(get(node, "/probe").statusCode());
            }
        }, "probe-client");
        client.start();
        try {
            await("the client's first response", () -> !statuses.isEmpty());
            node.apply(document("second", true), APPLY_TIMEOUT);
            // Sent as soon as the admin API responded: the change must already serve.
            HttpResponse<String> added = get(node, "/added");
            assertThat(added.statusCode()).isEqualTo(200);
            int seen = statuses.size();
            await("a response after the change", () -> statuses.size() > seen);
        } finally {
            sending.set(false);
            client.join(Duration.ofSeconds(30).toMillis());
        }

        assertThat(statuses).as("statuses while the change applied").containsOnly(200);
        List<BuildThread> builds = BuildThreadPolicyFactory.threads().stream()
                .filter(build -> build.tag().equals("second"))
                .toList();
        assertThat(builds).as("policies created for the change").hasSize(2);
        assertThat(builds).as("threads that created them").noneMatch(BuildThread::eventLoop);
    }

    /**
     * Returns a configuration of {@link #ROUTES} routes and a {@code probe} route whose {@code build-thread} policy
     * carries {@code tag}. When {@code added} is set, an {@code added} route with the same policy follows.
     */
    private ObjectNode document(String tag, boolean added) {
        Configs config = Configs.document();
        config.service("many", upstream.port());
        for (int i = 0; i < ROUTES; i++) {
            ObjectNode route = config.route("r" + i, "many", "=/api/r" + i, "~^/re/r" + i + "/[0-9]+$");
            route.putArray("hosts").add("r" + i + ".example.test").add("*.r" + i + ".wild.test");
        }
        buildThreadPolicy(config.route("probe", "many", "/probe"), tag);
        if (added) {
            buildThreadPolicy(config.route("added", "many", "=/added"), tag);
        }
        return config.build();
    }

    private static void buildThreadPolicy(ObjectNode route, String tag) {
        ArrayNode policies = route.putArray("policies");
        policies.addObject().put("name", "build-thread").putObject("config").put("tag", tag);
    }

    private static void await(String description, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + description);
            }
            Thread.sleep(10);
        }
    }
}
