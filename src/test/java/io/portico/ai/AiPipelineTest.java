package io.portico.ai;

import static io.portico.testing.Conditions.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** AI routes run the same policy pipeline as other routes, and write the same access-log line with AI fields. */
class AiPipelineTest {

    private static final String BODY = "{\"model\":\"p/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static OpenAiMock provider;
    private static TestNode node;

    @BeforeAll
    static void start() {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        provider = new OpenAiMock("p", "sk-p");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("p", "openai", provider.baseUrl(), "sk-p");
        ObjectNode stamped = config.aiRoute("stamped", "/stamped");
        stamped.put("stripPrefix", true);
        stamped.putArray("policies").addObject().put("name", "stamp").putObject("config").put("value", "ai");
        ObjectNode blocked = config.aiRoute("blocked", "/blocked");
        blocked.put("stripPrefix", true);
        blocked.putArray("policies").addObject().put("name", "stamp").putObject("config").put("value", "x")
                .put("block", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        provider.close();
    }

    @Test
    void runsRoutePoliciesBeforeTheProvider() {
        int before = provider.received().size();

        HttpResponse<String> stamped = AiTestClient.post(node.url() + "/stamped/v1/chat/completions", BODY);
        HttpResponse<String> blocked = AiTestClient.post(node.url() + "/blocked/v1/chat/completions", BODY);

        assertThat(stamped.statusCode()).isEqualTo(200);
        assertThat(stamped.headers().firstValue("x-stamp")).contains("ai");
        assertThat(blocked.statusCode()).isEqualTo(418);
        assertThat(provider.received()).hasSize(before + 1);
    }

    @Test
    void writesUsageToTheAccessLog() {
        try (LogCapture log = new LogCapture("portico.access")) {
            AiTestClient.post(node.url() + "/stamped/v1/chat/completions", BODY);

            eventually("the access log has the line", () -> log.messages(Level.INFO).stream()
                    .anyMatch(m -> m.contains("ai_provider")));
            String line = log.messages(Level.INFO).stream().filter(m -> m.contains("ai_provider")).findFirst()
                    .orElseThrow();
            assertThat(line).contains("route=stamped", "ai_provider=p", "ai_model=gpt-4o", "ai_input_tokens=12",
                    "ai_output_tokens=5", "ai_cached_tokens=2", "ai_reasoning_tokens=1", "ai_tokens_estimated=false",
                    "ai_cost_usd=", "upstream=p/gpt-4o");
        }
    }
}
