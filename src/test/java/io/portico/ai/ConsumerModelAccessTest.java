package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import io.portico.ai.mock.MockServer.Fault;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consumers' model allow and deny lists, applied to the requested model and to every fallback target, together
 * with the route's own model allow-list. The official OpenAI Java SDK sends the requests, and its API key names
 * the consumer.
 */
class ConsumerModelAccessTest {

    private static OpenAiMock alpha;
    private static OpenAiMock beta;
    private static TestNode node;

    @BeforeAll
    static void start() {
        alpha = new OpenAiMock("alpha", "sk-alpha");
        beta = new OpenAiMock("beta", "sk-beta");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("alpha", "openai", alpha.baseUrl(), "sk-alpha");
        config.provider("beta", "openai-compatible", beta.baseUrl(), "sk-beta").putArray("models").add("llama-3");
        config.provider("flaky", "openai", alpha.baseUrl(), "sk-alpha").putObject("retries")
                .put("attempts", 2).put("backoff", "10ms").put("maxBackoff", "50ms");
        config.model("smart", "fallback", "alpha/gpt-4o", "beta/llama-3");
        config.model("cheap", "fallback", "beta/llama-3");
        config.model("flaky-first", "fallback", "flaky/gpt-4o", "beta/llama-3");
        config.resource("teams", "ml");
        consumer(config, "full", null, null);
        consumer(config, "no-alpha", null, List.of("alpha/*"));
        consumer(config, "no-beta", null, List.of("beta/*"));
        consumer(config, "cheap-only", List.of("cheap"), null);
        consumer(config, "no-smart", null, List.of("smart"));
        consumer(config, "beta-targets", List.of("beta/*"), null);
        consumer(config, "alpha-targets", List.of("alpha/*"), null);
        config.resource("policies", "authentication").put("type", "header-auth").putObject("config")
                .putArray("headers").add("Authorization");
        config.aiRoute("ai", "/v1");
        ObjectNode team = config.aiRoute("team", "/team-b");
        team.put("stripPrefix", true);
        team.putObject("ai").putArray("models").add("beta/*");
        node.apply(config.build());
    }

    private static void consumer(Configs config, String name, List<String> allow, List<String> deny) {
        ObjectNode consumer = config.resource("consumers", name).put("team", "ml");
        if (allow == null && deny == null) {
            return;
        }
        ObjectNode models = consumer.putObject("access").putObject("models");
        if (allow != null) {
            ArrayNode list = models.putArray("allow");
            allow.forEach(list::add);
        }
        if (deny != null) {
            ArrayNode list = models.putArray("deny");
            deny.forEach(list::add);
        }
    }

    @AfterAll
    static void stop() {
        node.close();
        alpha.close();
        beta.close();
    }

    @BeforeEach
    void clearReceived() {
        alpha.received().clear();
        beta.received().clear();
    }

    private static OpenAIClient client(String consumer, String path) {
        return OpenAIOkHttpClient.builder().baseUrl(node.url() + path).apiKey(consumer).maxRetries(0).build();
    }

    private static String complete(String consumer, String model) {
        return complete(consumer, "/v1", model);
    }

    private static String complete(String consumer, String path, String model) {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(model).addUserMessage("Hi")
                .build();
        ChatCompletion completion = client(consumer, path).chat().completions().create(params);
        return completion.choices().get(0).message().content().orElseThrow();
    }

    @Test
    void unrestrictedConsumerUsesFirstTarget() {
        assertThat(complete("full", "smart")).contains("Hello from alpha");
    }

    @Test
    void deniedFallbackTargetIsSkipped() {
        assertThat(complete("no-alpha", "smart")).contains("Hello from beta");
        assertThat(alpha.received()).isEmpty();
    }

    @Test
    void deniedTargetIsNeverAFallback() {
        alpha.fail(Fault.SERVER_ERROR, Fault.SERVER_ERROR);

        assertThatThrownBy(() -> complete("no-beta", "flaky-first"))
                .isInstanceOfSatisfying(OpenAIServiceException.class,
                        e -> assertThat(e.statusCode()).isGreaterThanOrEqualTo(500));
        assertThat(beta.received()).isEmpty();
    }

    @Test
    void deniedProviderModelGets403() {
        assertThatThrownBy(() -> complete("no-alpha", "alpha/gpt-4o"))
                .isInstanceOfSatisfying(PermissionDeniedException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(403);
                    assertThat(e.code()).hasValue("model_not_allowed");
                    assertThat(e.getMessage()).contains("Consumer 'no-alpha' is not allowed to use the model"
                            + " 'alpha/gpt-4o'");
                });
    }

    @Test
    void deniedRequestedNameGets403() {
        assertThatThrownBy(() -> complete("no-smart", "smart")).isInstanceOf(PermissionDeniedException.class);
        assertThat(complete("no-smart", "cheap")).contains("Hello from beta");
    }

    @Test
    void allowListOfRequestedNames() {
        assertThat(complete("cheap-only", "cheap")).contains("Hello from beta");
        assertThatThrownBy(() -> complete("cheap-only", "smart")).isInstanceOf(PermissionDeniedException.class);
        assertThatThrownBy(() -> complete("cheap-only", "beta/llama-3")).isInstanceOf(PermissionDeniedException.class);
    }

    @Test
    void allowListOfTargetsFiltersVirtualModel() {
        assertThat(complete("beta-targets", "smart")).contains("Hello from beta");
        assertThat(alpha.received()).isEmpty();
    }

    @Test
    void routeAndConsumerListsCombine() {
        assertThat(complete("full", "/team-b", "smart")).contains("Hello from beta");
        assertThatThrownBy(() -> complete("alpha-targets", "/team-b", "smart"))
                .isInstanceOf(PermissionDeniedException.class);
        assertThat(complete("alpha-targets", "/v1", "smart")).contains("Hello from alpha");
    }

    @Test
    void modelListShowsOnlyUsableModels() {
        List<String> all = client("full", "/v1").models().list().data().stream().map(Model::id).toList();
        List<String> cheapOnly = client("cheap-only", "/v1").models().list().data().stream().map(Model::id)
                .toList();
        List<String> noBeta = client("no-beta", "/v1").models().list().data().stream().map(Model::id).toList();

        assertThat(all).contains("smart", "cheap", "flaky-first", "beta/llama-3");
        assertThat(cheapOnly).containsExactly("cheap");
        assertThat(noBeta).contains("smart", "flaky-first").doesNotContain("cheap", "beta/llama-3");
    }
}
