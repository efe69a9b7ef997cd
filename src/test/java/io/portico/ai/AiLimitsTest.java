package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.util.Collections;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The token-limit and budget policies on a real node, driven by the official OpenAI and Anthropic Java SDKs against
 * the OpenAI mock. The mock counts provider calls, which proves that a rejected request never reached it. Its
 * embeddings report 3 input tokens per input, and its Responses API reports 7 input and 4 output tokens.
 */
class AiLimitsTest {

    /** Time before the end of a clock minute in which no test starts, longer than any test here takes. */
    private static final long MINUTE_MARGIN_MILLIS = 6_000;

    private static OpenAiMock openAi;
    private static TestNode node;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("alpha", "sk-alpha");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        config.model("smart", "fallback", "alpha/gpt-4o");
        config.resource("teams", "ml");
        for (String consumer : new String[] {"ann", "bob", "cid", "dan", "eve", "fay", "gus", "hal", "ivy", "jay",
            "kim", "lee"}) {
            config.resource("consumers", consumer).put("team", "ml");
        }
        ArrayNode requests = route(config, "requests");
        requests.addObject().put("name", "token-limit").putObject("config").putArray("limits").addObject()
                .put("by", "consumer").put("requestsPerMinute", 2);
        ArrayNode tokens = route(config, "tokens");
        tokens.addObject().put("name", "token-limit").putObject("config").putArray("limits").addObject()
                .put("by", "model").put("tokensPerMinute", 100);
        ArrayNode spend = route(config, "spend");
        spend.addObject().put("name", "token-limit").putObject("config").putArray("limits").addObject()
                .put("by", "consumer").put("tokensPerMinute", 100);
        ArrayNode budget = route(config, "budget");
        ObjectNode consumerBudget = budget.addObject().put("name", "budget").putObject("config")
                .putArray("budgets").addObject();
        consumerBudget.put("by", "consumer").put("amount", 0.00001).put("period", "month").put("alertThreshold", 0.5);
        node.apply(config.build());
    }

    private static ArrayNode route(Configs config, String name) {
        ObjectNode route = config.aiRoute(name, "/" + name);
        route.put("stripPrefix", true);
        ArrayNode policies = route.putArray("policies");
        policies.addObject().put("name", "header-auth").putObject("config").putArray("headers").add("Authorization")
                .add("x-api-key");
        return policies;
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
    }

    @BeforeEach
    void clear() {
        openAi.received().clear();
    }

    /**
     * Waits for the next minute of the clock when the current one ends within {@value #MINUTE_MARGIN_MILLIS} ms. The
     * limits count per clock minute, and each test expects all its requests to fall in one.
     */
    @BeforeEach
    void awayFromMinuteEnd() throws InterruptedException {
        long leftInMinute = 60_000 - System.currentTimeMillis() % 60_000;
        if (leftInMinute < MINUTE_MARGIN_MILLIS) {
            Thread.sleep(leftInMinute + 50);
        }
    }

    private static OpenAIClient client(String route, String consumer) {
        return OpenAIOkHttpClient.builder().baseUrl(node.url() + "/" + route + "/v1").apiKey(consumer)
                .maxRetries(0).build();
    }

    private static AnthropicClient anthropicClient(String route, String consumer) {
        return AnthropicOkHttpClient.builder().baseUrl(node.url() + "/" + route).apiKey(consumer).maxRetries(0)
                .build();
    }

    /** Returns a text of about {@code count} tokens. */
    private static String words(int count) {
        return String.join(" ", Collections.nCopies(count, "hello"));
    }

    private static EmbeddingCreateParams embed(String input) {
        return EmbeddingCreateParams.builder().model("alpha/text-embedding-3-small").input(input).build();
    }

    /** Returns an embeddings request of {@code count} inputs of one token each, for which the mock reports 3 each. */
    private static EmbeddingCreateParams embedEach(int count) {
        return EmbeddingCreateParams.builder().model("alpha/text-embedding-3-small")
                .inputOfArrayOfStrings(Collections.nCopies(count, "hello")).build();
    }

    private static ResponseCreateParams respond(String input, long maxOutputTokens) {
        return ResponseCreateParams.builder().model("smart").input(input).maxOutputTokens(maxOutputTokens).build();
    }

    private static MessageCountTokensParams countTokens(String text) {
        return MessageCountTokensParams.builder().model("smart").addUserMessage(text).build();
    }

    private static ChatCompletionCreateParams ask(long maxTokens) {
        return ChatCompletionCreateParams.builder().model("smart").addUserMessage("How many tokens?")
                .maxCompletionTokens(maxTokens).build();
    }

    @Test
    void requestsPerMinuteRejectsThirdRequest() {
        OpenAIClient ann = client("requests", "ann");
        ann.chat().completions().create(ask(16));
        ann.chat().completions().create(ask(16));

        assertThatThrownBy(() -> ann.chat().completions().create(ask(16)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(429);
                    assertThat(e.getMessage()).contains("2 requests per minute").contains("consumer 'ann'");
                    assertThat(e.headers().values("retry-after")).hasSize(1);
                });
        assertThat(openAi.received()).hasSize(2);
        client("requests", "bob").chat().completions().create(ask(16));
        assertThat(openAi.received()).hasSize(3);
    }

    @Test
    void estimateOverTokenLimitIsRejectedBeforeProvider() {
        assertThatThrownBy(() -> client("tokens", "cid").chat().completions().create(ask(200)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.getMessage()).contains("100 tokens per minute").contains("model 'smart'")
                            .contains("lower the output token limit of 200");
                    assertThat(e.headers().values("Retry-After")).as("waiting does not help").isEmpty();
                });

        assertThat(openAi.received()).isEmpty();
    }

    @Test
    void realUsageReplacesEstimate() {
        OpenAIClient cid = client("tokens", "cid");
        // Each estimate is about 60 tokens, so the second request fits only once the first one's real usage
        // (12 input tokens and a few output tokens from the mock) has replaced its estimate.
        cid.chat().completions().create(ask(45));
        cid.chat().completions().create(ask(45));

        assertThat(openAi.received()).hasSize(2);
    }

    @Test
    void requestsPerMinuteCountsEveryEndpoint() {
        OpenAIClient eve = client("requests", "eve");
        AnthropicClient eveAnthropic = anthropicClient("requests", "eve");
        long counted = eveAnthropic.messages().countTokens(countTokens("How many tokens?")).inputTokens();
        eve.embeddings().create(embed("hello"));

        assertThatThrownBy(() -> eve.responses().create(respond("hello", 16)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.getMessage()).contains("2 requests per minute").contains("consumer 'eve'");
                    assertThat(e.headers().values("retry-after")).hasSize(1);
                });
        assertThatThrownBy(() -> eveAnthropic.messages().countTokens(countTokens("How many tokens?")))
                .isInstanceOfSatisfying(com.anthropic.errors.RateLimitException.class, e ->
                        assertThat(e.getMessage()).contains("2 requests per minute"));
        assertThatThrownBy(() -> eve.embeddings().create(embed("hello")))
                .isInstanceOf(RateLimitException.class);
        assertThat(counted).isPositive();
        assertThat(openAi.received()).as("only the embeddings reached the provider").hasSize(1);
    }

    @Test
    void embeddingsEstimateOverTokenLimitIsRejected() {
        List<Long> tokenIds = LongStream.range(0, 150).boxed().toList();
        EmbeddingCreateParams tooLong = EmbeddingCreateParams.builder().model("alpha/text-embedding-3-small")
                .inputOfArrayOfTokens(tokenIds).build();

        assertThatThrownBy(() -> client("spend", "fay").embeddings().create(tooLong))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.getMessage()).contains("may use 150 tokens").contains("100 tokens per minute")
                            .contains("consumer 'fay'").endsWith("shorten the input");
                    assertThat(e.headers().values("Retry-After")).as("waiting does not help").isEmpty();
                });
        assertThat(openAi.received()).isEmpty();
    }

    @Test
    void embeddingsUsageReplacesEstimate() {
        OpenAIClient gus = client("spend", "gus");
        // Each estimate is about 60 tokens, so the second request fits only once the mock's report of 3 tokens
        // has replaced the first one's estimate.
        gus.embeddings().create(embed(words(60)));
        gus.embeddings().create(embed(words(60)));

        assertThat(openAi.received()).hasSize(2);
    }

    @Test
    void embeddingsUsageAboveEstimateIsCharged() {
        OpenAIClient hal = client("spend", "hal");
        // 40 inputs of one token each: the estimate is 40, and the mock reports 120.
        hal.embeddings().create(embedEach(40));

        assertThatThrownBy(() -> hal.embeddings().create(embed("hello")))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.getMessage())
                        .contains("limit of 100 tokens per minute").contains("consumer 'hal'"));
        assertThat(openAi.received()).hasSize(1);
    }

    @Test
    void responsesUsageReplacesEstimate() {
        OpenAIClient ivy = client("spend", "ivy");
        // Each estimate is about 70 tokens: 40 words, the format's overhead and max_output_tokens of 20. The mock
        // reports 11, so the third request fits only once the first two, one of them streamed, were corrected.
        ivy.responses().create(respond(words(40), 20));
        try (StreamResponse<ResponseStreamEvent> stream = ivy.responses().createStreaming(respond(words(40), 20))) {
            assertThat(stream.stream().count()).isPositive();
        }
        ivy.responses().create(respond(words(40), 20));

        assertThat(openAi.received()).hasSize(3);
    }

    @Test
    void responsesEstimateOverTokenLimitIsRejected() {
        assertThatThrownBy(() -> client("spend", "jay").responses().create(respond("How many tokens?", 200)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.getMessage())
                        .contains("100 tokens per minute").contains("consumer 'jay'")
                        .contains("lower the output token limit of 200"));
        assertThat(openAi.received()).isEmpty();
    }

    @Test
    void countTokensPassesSpentTokenLimit() {
        OpenAIClient kim = client("spend", "kim");
        kim.embeddings().create(embedEach(40));

        long counted = anthropicClient("spend", "kim").messages().countTokens(countTokens(words(60))).inputTokens();

        assertThat(counted).as("a count spends no tokens, so a spent limit lets it through").isPositive();
        assertThatThrownBy(() -> kim.embeddings().create(embed("hello"))).isInstanceOf(RateLimitException.class);
    }

    @Test
    void embeddingsWithoutUsageKeepEstimate() {
        OpenAIClient lee = client("spend", "lee");
        openAi.omitUsage(true);
        try {
            lee.embeddings().create(embed(words(60)));

            assertThatThrownBy(() -> lee.embeddings().create(embed(words(60))))
                    .isInstanceOf(RateLimitException.class);
            assertThat(openAi.received()).hasSize(1);
        } finally {
            openAi.omitUsage(false);
        }
    }

    @Test
    void spentBudgetRejectsNextRequest() {
        OpenAIClient dan = client("budget", "dan");
        dan.chat().completions().create(ask(16));

        assertThatThrownBy(() -> dan.chat().completions().create(ask(16)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.getMessage())
                        .contains("month budget of 0.00001 USD of consumer 'dan' is spent"));
        assertThat(openAi.received()).hasSize(1);
        JsonNode budgets = node.admin("GET", "/admin/v1/budgets?subject=dan", null, 200).path("budgets");
        assertThat(budgets).hasSize(1);
        assertThat(budgets.get(0).path("scope").asText()).isEqualTo("consumer:month");
        assertThat(budgets.get(0).path("exhausted").asBoolean()).isTrue();
        assertThat(budgets.get(0).path("alerted").asBoolean()).isTrue();
        assertThat(budgets.get(0).path("spentUsd").decimalValue()).isPositive();
    }
}
