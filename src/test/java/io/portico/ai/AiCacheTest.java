package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chat completion cache of AI routes, driven by the official OpenAI Java SDK and raw Anthropic requests
 * through a real node. The mocks count the provider calls, which proves each hit and miss.
 */
class AiCacheTest {

    private static OpenAiMock openAi;
    private static AnthropicMock anthropic;
    private static TestNode node;
    private static OpenAIClient shared;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("alpha", "sk-alpha");
        anthropic = new AnthropicMock("claude", "sk-ant");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        config.provider("anthropic", "anthropic", anthropic.baseUrl(), "sk-ant");
        config.model("smart", "fallback", "alpha/gpt-4o");
        config.model("claude", "fallback", "anthropic/claude-sonnet-4-5");
        ObjectNode sharedRoute = config.aiRoute("shared", "/shared");
        sharedRoute.put("stripPrefix", true);
        sharedRoute.putArray("policies").addObject().put("name", "cache").putObject("config")
                .putObject("chat").put("scope", "shared").put("ttl", "5m");
        ObjectNode perConsumer = config.aiRoute("personal", "/personal");
        perConsumer.put("stripPrefix", true);
        var policies = perConsumer.putArray("policies");
        policies.addObject().put("name", "header-auth");
        policies.addObject().put("name", "cache").putObject("config").putObject("chat");
        config.resource("teams", "ml");
        config.resource("consumers", "ann").put("team", "ml");
        config.resource("consumers", "bob").put("team", "ml");
        ObjectNode plain = config.aiRoute("plain", "/plain");
        plain.put("stripPrefix", true);
        plain.putArray("policies").addObject().put("name", "cache");
        node.apply(config.build());
        shared = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/shared/v1").apiKey("client-key")
                .maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
        anthropic.close();
    }

    @BeforeEach
    void purge() {
        node.admin("DELETE", "/admin/v1/cache", null, 200);
        openAi.received().clear();
        anthropic.received().clear();
    }

    private static ChatCompletionCreateParams.Builder ask(String question) {
        return ChatCompletionCreateParams.builder().model("smart").addUserMessage(question).maxCompletionTokens(64);
    }

    @Test
    void identicalRequestIsAnsweredFromCache() {
        ChatCompletion first = shared.chat().completions().create(ask("What is cached?").build());
        ChatCompletion second = shared.chat().completions().create(ask("What is cached?").build());

        assertThat(openAi.received()).hasSize(1);
        assertThat(second.choices().get(0).message().content()).isEqualTo(first.choices().get(0).message().content());
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.usage().orElseThrow().promptTokens()).isEqualTo(first.usage().orElseThrow().promptTokens());
    }

    @Test
    void cachedAnswerCostsNothing() {
        String body = "{\"model\":\"smart\",\"temperature\":0.5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Cost?\"}]}";
        HttpResponse<String> miss = AiTestClient.post(node.url() + "/shared/v1/chat/completions", body);
        String reordered = "{\"messages\":[{\"content\":\"Cost?\",\"role\":\"user\"}],\"temperature\":0.5,"
                + "\"model\":\"smart\"}";

        HttpResponse<String> hit = AiTestClient.post(node.url() + "/shared/v1/chat/completions", reordered);

        assertThat(miss.headers().firstValue("cache-status")).hasValue("Portico; fwd=uri-miss");
        assertThat(miss.headers().firstValue("x-portico-input-tokens")).hasValue("12");
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(hit.headers().firstValue("x-portico-provider")).hasValue("alpha");
        assertThat(hit.headers().firstValue("x-portico-input-tokens")).hasValue("0");
        assertThat(hit.headers().firstValue("x-portico-output-tokens")).hasValue("0");
        assertThat(hit.headers().firstValue("x-portico-cost-usd")).hasValue("0");
        assertThat(AiTestClient.json(hit).at("/choices/0/message/content").asText()).contains("Hello from alpha");
        assertThat(openAi.received()).hasSize(1);
    }

    @Test
    void differentParametersMiss() {
        shared.chat().completions().create(ask("Parameters?").build());

        shared.chat().completions().create(ask("Parameters?").temperature(0.1).build());
        shared.chat().completions().create(ask("Parameters?").maxCompletionTokens(32).build());
        shared.chat().completions().create(ask("Other parameters?").build());

        assertThat(openAi.received()).hasSize(4);
    }

    @Test
    void streamedRequestIsReplayedFromCompleteResponse() {
        ChatCompletion complete = shared.chat().completions().create(ask("Stream it").build());
        ChatCompletionCreateParams streamed = ask("Stream it")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();

        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = shared.chat().completions().createStreaming(streamed)) {
            stream.stream().forEach(chunks::add);
        }

        assertThat(openAi.received()).hasSize(1);
        String text = chunks.stream().filter(chunk -> !chunk.choices().isEmpty())
                .map(chunk -> chunk.choices().get(0).delta().content().orElse("")).collect(Collectors.joining());
        assertThat(text).isEqualTo(complete.choices().get(0).message().content().orElseThrow());
        assertThat(chunks).anySatisfy(chunk -> assertThat(chunk.choices()).anySatisfy(choice ->
                assertThat(choice.finishReason()).isPresent()));
        assertThat(chunks.get(chunks.size() - 1).usage().orElseThrow().promptTokens()).isEqualTo(12);
    }

    @Test
    void replayedChunksCarryNullFinishReason() {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Replay shape\"}]}";
        String url = node.url() + "/shared/v1/chat/completions";
        AiTestClient.post(url, body);

        HttpResponse<String> replay = AiTestClient.post(url, body.replace("}]}", "}],\"stream\":true}"));

        assertThat(replay.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        List<JsonNode> choices = AiTestClient.events(replay.body()).stream()
                .filter(event -> !"[DONE]".equals(event.data()))
                .map(event -> event.json().path("choices").path(0)).filter(JsonNode::isObject).toList();
        assertThat(choices).hasSizeGreaterThan(1);
        for (JsonNode choice : choices.subList(0, choices.size() - 1)) {
            assertThat(choice.has("finish_reason")).as("finish_reason in %s", choice).isTrue();
            assertThat(choice.get("finish_reason").isNull()).as("finish_reason in %s", choice).isTrue();
        }
        assertThat(choices.get(choices.size() - 1).path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void streamedResponseIsStored() {
        String body = "{\"model\":\"smart\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"S\"}]}";

        HttpResponse<String> first = AiTestClient.post(node.url() + "/shared/v1/chat/completions", body);
        HttpResponse<String> second = AiTestClient.post(node.url() + "/shared/v1/chat/completions", body);

        assertThat(first.headers().firstValue("cache-status")).hasValue("Portico; fwd=uri-miss");
        assertThat(second.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(openAi.received()).hasSize(1);
    }

    @Test
    void perConsumerScopeSeparatesConsumers() {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Mine?\"}]}";
        String url = node.url() + "/personal/v1/chat/completions";

        AiTestClient.post(url, body, "X-Test-Consumer", "ann");
        HttpResponse<String> other = AiTestClient.post(url, body, "X-Test-Consumer", "bob");
        HttpResponse<String> again = AiTestClient.post(url, body, "X-Test-Consumer", "ann");

        assertThat(other.headers().firstValue("cache-status")).hasValue("Portico; fwd=uri-miss");
        assertThat(again.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(openAi.received()).hasSize(2);
    }

    @Test
    void routeWithoutChatSettingsCachesNothing() {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Plain\"}]}";

        AiTestClient.post(node.url() + "/plain/v1/chat/completions", body);
        HttpResponse<String> second = AiTestClient.post(node.url() + "/plain/v1/chat/completions", body);

        assertThat(second.headers().firstValue("cache-status")).isEmpty();
        assertThat(openAi.received()).hasSize(2);
    }

    @Test
    void clientDirectivesSkipTheCache() {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Fresh\"}]}";
        String url = node.url() + "/shared/v1/chat/completions";
        AiTestClient.post(url, body);

        HttpResponse<String> noCache = AiTestClient.post(url, body, "Cache-Control", "no-cache");
        HttpResponse<String> noStore = AiTestClient.post(url, body, "Cache-Control", "no-store");

        assertThat(noCache.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(noStore.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(openAi.received()).hasSize(3);
        AiTestClient.post(url, "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Other\"}]}",
                "Cache-Control", "no-store");
        HttpResponse<String> afterNoStore = AiTestClient.post(url,
                "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Other\"}]}");
        assertThat(afterNoStore.headers().firstValue("cache-status")).as("no-store stored nothing")
                .hasValue("Portico; fwd=uri-miss");
    }

    @Test
    void freshnessDirectivesForwardOldCompletion() throws InterruptedException {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"How old?\"}]}";
        String url = node.url() + "/shared/v1/chat/completions";
        AiTestClient.post(url, body);

        // The route's ttl is 5m, so a stored completion is fresh for less than 600 more seconds.
        HttpResponse<String> fresher = AiTestClient.post(url, body, "Cache-Control", "min-fresh=600");
        HttpResponse<String> freshEnough = AiTestClient.post(url, body, "Cache-Control", "min-fresh=60");
        Thread.sleep(1_100);
        HttpResponse<String> younger = AiTestClient.post(url, body, "Cache-Control", "max-age=0");
        HttpResponse<String> oldEnough = AiTestClient.post(url, body, "Cache-Control", "max-age=3600");

        assertThat(fresher.statusCode()).isEqualTo(200);
        assertThat(fresher.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(freshEnough.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(younger.statusCode()).isEqualTo(200);
        assertThat(younger.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(oldEnough.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(oldEnough.headers().firstValue("age")).isPresent();
        assertThat(openAi.received()).hasSize(3);
    }

    @Test
    void completionForwardedForMaxAgeIsStored() throws InterruptedException {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Renew\"}]}";
        String url = node.url() + "/shared/v1/chat/completions";
        AiTestClient.post(url, body);
        Thread.sleep(1_100);

        HttpResponse<String> renewed = AiTestClient.post(url, body, "Cache-Control", "max-age=0");
        // The local store contains the completion before the node sends it, and it is less than a second old now.
        HttpResponse<String> again = AiTestClient.post(url, body, "Cache-Control", "max-age=0");

        assertThat(renewed.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(again.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit");
        assertThat(again.headers().firstValue("age")).hasValue("0");
        assertThat(openAi.received()).hasSize(2);
    }

    @Test
    void invalidFreshnessDirectivesAreForwarded() {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Strict\"}]}";
        String url = node.url() + "/shared/v1/chat/completions";
        AiTestClient.post(url, body);

        for (String directive : new String[] {"max-age=abc", "max-age=-5", "max-age", "min-fresh=soon", "min-fresh"}) {
            HttpResponse<String> response = AiTestClient.post(url, body, "Cache-Control", directive);
            assertThat(response.headers().firstValue("cache-status")).as(directive).hasValue("Portico; fwd=request");
        }
        HttpResponse<String> pragma = AiTestClient.post(url, body, "Pragma", "no-cache");

        assertThat(pragma.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(openAi.received()).hasSize(7);
    }

    @Test
    void onlyIfCachedServesCacheOr504() {
        String body = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Offline\"}]}";
        String url = node.url() + "/shared/v1/chat/completions";

        HttpResponse<String> miss = AiTestClient.post(url, body, "Cache-Control", "only-if-cached");
        AiTestClient.post(url, body);
        HttpResponse<String> hit = AiTestClient.post(url, body, "Cache-Control", "only-if-cached");
        HttpResponse<String> tooOld = AiTestClient.post(url, body, "Cache-Control", "only-if-cached, min-fresh=600");
        HttpResponse<String> noCache = AiTestClient.post(url, body, "Cache-Control", "only-if-cached, no-cache");
        HttpResponse<String> anthropicMiss = AiTestClient.post(node.url() + "/shared/v1/messages",
                "{\"model\":\"smart\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Gone\"}]}",
                "anthropic-version", "2023-06-01", "Cache-Control", "only-if-cached");

        assertThat(miss.statusCode()).isEqualTo(504);
        assertThat(miss.headers().firstValue("cache-status")).hasValue("Portico; fwd=uri-miss");
        assertThat(AiTestClient.json(miss).at("/error/code").asText()).isEqualTo("not_cached");
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit");
        assertThat(tooOld.statusCode()).isEqualTo(504);
        assertThat(tooOld.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(noCache.statusCode()).isEqualTo(504);
        assertThat(anthropicMiss.statusCode()).isEqualTo(504);
        assertThat(AiTestClient.json(anthropicMiss).path("type").asText()).isEqualTo("error");
        assertThat(openAi.received()).hasSize(1);
    }

    @Test
    void anthropicClientGetsStreamFromTranslatedResponse() {
        String body = "{\"model\":\"smart\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        String url = node.url() + "/shared/v1/messages";
        HttpResponse<String> complete = AiTestClient.post(url, body, "anthropic-version", "2023-06-01");

        HttpResponse<String> streamed = AiTestClient.post(url, body.replace("{\"model\"", "{\"stream\":true,\"model\""),
                "anthropic-version", "2023-06-01");

        assertThat(openAi.received()).hasSize(1);
        List<Event> events = AiTestClient.events(streamed.body());
        assertThat(events.get(0).name()).isEqualTo("message_start");
        assertThat(events.get(events.size() - 1).name()).isEqualTo("message_stop");
        String text = events.stream().filter(event -> "content_block_delta".equals(event.name()))
                .map(event -> event.json().at("/delta/text").asText()).collect(Collectors.joining());
        assertThat(text).isEqualTo(AiTestClient.json(complete).at("/content/0/text").asText());
    }

    @Test
    void nativeAnthropicMessageIsReplayedAsStream() {
        String body = "{\"model\":\"claude\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        String url = node.url() + "/shared/v1/messages";
        HttpResponse<String> complete = AiTestClient.post(url, body, "anthropic-version", "2023-06-01");
        HttpResponse<String> again = AiTestClient.post(url, body, "anthropic-version", "2023-06-01");

        HttpResponse<String> streamed = AiTestClient.post(url, body.replace("{\"model\"", "{\"stream\":true,\"model\""),
                "anthropic-version", "2023-06-01");

        assertThat(anthropic.received()).hasSize(1);
        assertThat(again.body()).isEqualTo(complete.body());
        JsonNode message = AiTestClient.json(complete);
        List<Event> events = AiTestClient.events(streamed.body());
        assertThat(events).extracting(Event::name).startsWith("message_start", "content_block_start")
                .endsWith("message_delta", "message_stop");
        String text = events.stream().filter(event -> "content_block_delta".equals(event.name()))
                .map(event -> event.json().at("/delta/text").asText()).collect(Collectors.joining());
        assertThat(text).isEqualTo(message.at("/content/0/text").asText());
        JsonNode delta = events.get(events.size() - 2).json();
        assertThat(delta.at("/delta/stop_reason").asText()).isEqualTo(message.path("stop_reason").asText());
        assertThat(delta.at("/usage/output_tokens").asLong()).isEqualTo(message.at("/usage/output_tokens").asLong());
    }
}
