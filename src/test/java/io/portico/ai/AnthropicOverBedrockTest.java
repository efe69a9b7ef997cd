package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.BedrockMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Anthropic clients served by Claude on Amazon Bedrock through a real node and {@link BedrockMock}. */
class AnthropicOverBedrockTest {

    private static final String MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    private static final String API_KEY = "ABSKbedrock-test-key";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static BedrockMock mock;
    private static TestNode node;

    @BeforeAll
    static void start() {
        mock = BedrockMock.start("us-east-1", "AKIDEXAMPLE", "secret", API_KEY);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("aws", "bedrock", mock.baseUrl(), API_KEY).put("region", "us-east-1")
                .putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        mock.close();
    }

    /** Queues a text reply whose usage has 10 uncached input tokens, 100 read from the cache and 20 written. */
    private static void replyWithCacheUsage() {
        ArrayNode content = NODES.arrayNode();
        content.addObject().put("text", "Cached answer.");
        ObjectNode reply = BedrockMock.converseResponse(content, "end_turn", 10, 7);
        ((ObjectNode) reply.get("usage")).put("cacheReadInputTokens", 100).put("cacheWriteInputTokens", 20);
        mock.reply(reply);
    }

    private static HttpResponse<String> messages(String body) {
        return AiTestClient.post(node.url() + "/v1/messages", body, "anthropic-version", "2023-06-01");
    }

    @Test
    void plainUsageSeparatesCacheWrites() {
        replyWithCacheUsage();

        HttpResponse<String> response = messages("{\"model\":\"aws/" + MODEL + "\",\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.json(response).get("usage")).isEqualTo(AiTestClient.quotedJson(
                "{'input_tokens':10,'cache_creation_input_tokens':20,'cache_read_input_tokens':100,"
                        + "'output_tokens':7}"));
        assertThat(response.headers().firstValue("x-portico-input-tokens")).hasValue("130");
        assertThat(response.headers().firstValue("x-portico-cached-tokens")).hasValue("100");
        // 30 uncached input tokens at 3 USD, 100 cached at 0.3 USD and 7 output at 15 USD per million tokens.
        assertThat(new BigDecimal(response.headers().firstValue("x-portico-cost-usd").orElseThrow()))
                .isEqualByComparingTo("0.000225");
    }

    @Test
    void streamedUsageSeparatesCacheWrites() {
        replyWithCacheUsage();

        HttpResponse<String> response = messages("{\"model\":\"aws/" + MODEL + "\",\"max_tokens\":100,"
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        JsonNode delta = events.stream().filter(event -> "message_delta".equals(event.name())).findFirst()
                .orElseThrow().json();
        assertThat(delta.get("usage")).isEqualTo(AiTestClient.quotedJson(
                "{'input_tokens':10,'cache_creation_input_tokens':20,'cache_read_input_tokens':100,"
                        + "'output_tokens':7}"));
    }

    @Test
    void openAiUsageCountsCacheWritesAsPrompt() {
        replyWithCacheUsage();

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"aws/"
                + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.json(response).get("usage")).isEqualTo(AiTestClient.quotedJson(
                "{'prompt_tokens':130,'completion_tokens':7,'total_tokens':137,"
                        + "'prompt_tokens_details':{'cached_tokens':100,'cache_write_tokens':20},"
                        + "'completion_tokens_details':{'reasoning_tokens':0}}"));
        assertThat(new BigDecimal(response.headers().firstValue("x-portico-cost-usd").orElseThrow()))
                .isEqualByComparingTo("0.000225");
    }

    @Test
    void breakpointsAndFailedResultsReachConverse() {
        HttpResponse<String> response = messages("""
                {"model":"aws/%s","max_tokens":300,
                 "system":[{"type":"text","text":"You are a long system prompt.","cache_control":{"type":"ephemeral"}}],
                 "tools":[{"name":"get_weather","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
                 "messages":[
                   {"role":"user","content":[{"type":"text","text":"weather?","cache_control":{"type":"ephemeral"}}]},
                   {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},
                   {"role":"user","content":[
                     {"type":"tool_result","tool_use_id":"toolu_1","content":"service down","is_error":true,
                      "cache_control":{"type":"ephemeral","ttl":"1h"}},
                     {"type":"text","text":"Try again."}]}]}""".formatted(MODEL));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<BedrockMock.Recorded> requests = mock.requests();
        assertThat(requests.get(requests.size() - 1).body()).isEqualTo(AiTestClient.quotedJson("""
                {'messages':[
                   {'role':'user','content':[{'text':'weather?'},{'cachePoint':{'type':'default'}}]},
                   {'role':'assistant','content':[
                     {'toolUse':{'toolUseId':'toolu_1','name':'get_weather','input':{}}}]},
                   {'role':'user','content':[
                     {'toolResult':{'toolUseId':'toolu_1','content':[{'text':'service down'}],'status':'error'}},
                     {'cachePoint':{'type':'default','ttl':'1h'}},
                     {'text':'Try again.'}]}],
                 'system':[{'text':'You are a long system prompt.'},{'cachePoint':{'type':'default'}}],
                 'inferenceConfig':{'maxTokens':300},
                 'toolConfig':{'tools':[
                   {'toolSpec':{'name':'get_weather','inputSchema':{'json':{'type':'object','properties':{}}}}},
                   {'cachePoint':{'type':'default'}}]}}"""));
    }

    @Test
    void modelStreamErrorIsApiError() {
        mock.fault(BedrockMock.Fault.MODEL_STREAM_ERROR);
        HttpResponse<String> anthropic = messages("{\"model\":\"aws/" + MODEL + "\",\"max_tokens\":100,"
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        mock.fault(BedrockMock.Fault.MODEL_STREAM_ERROR);

        HttpResponse<String> openAi = AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"aws/"
                + MODEL + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        List<Event> anthropicEvents = AiTestClient.events(anthropic.body());
        Event anthropicError = anthropicEvents.get(anthropicEvents.size() - 1);
        assertThat(anthropicError.name()).isEqualTo("error");
        assertThat(anthropicError.json()).isEqualTo(AiTestClient.quotedJson(
                "{'type':'error','error':{'type':'api_error','message':'provider: The model stream failed.'}}"));
        List<Event> openAiEvents = AiTestClient.events(openAi.body());
        assertThat(openAiEvents.get(openAiEvents.size() - 1).json()).isEqualTo(AiTestClient.quotedJson(
                "{'error':{'message':'provider: The model stream failed.','type':'api_error','param':null,"
                        + "'code':'ModelStreamErrorException'}}"));
    }
}
