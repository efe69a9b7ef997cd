package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.BedrockMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redacted thinking blocks in streams across protocols: Claude's {@code redacted_thinking} from Anthropic to OpenAI
 * clients, and Bedrock's {@code redactedContent} to Anthropic clients. A client needs the block back on its next
 * turn, so a stream must carry it as the response that is not streamed does.
 */
class AiRedactedThinkingStreamTest {

    private static final String BEDROCK_MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    private static final String BEDROCK_KEY = "ABSKbedrock-redacted";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static AnthropicMock anthropicMock;
    private static BedrockMock bedrock;
    private static TestNode node;
    private static AnthropicClient anthropic;

    @BeforeAll
    static void start() {
        anthropicMock = new AnthropicMock("an", "sk-an");
        bedrock = BedrockMock.start("us-east-1", "AKIDEXAMPLE", "secret", BEDROCK_KEY);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("an", "anthropic", anthropicMock.baseUrl(), "sk-an").putObject("retries").put("attempts", 1);
        config.provider("aws", "bedrock", bedrock.baseUrl(), BEDROCK_KEY).put("region", "us-east-1")
                .putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        anthropic = AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey("client-key").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        node.close();
        anthropicMock.close();
        bedrock.close();
    }

    private static JsonNode json(String text) {
        return AiTestClient.quotedJson(text);
    }

    /** Queues Bedrock's response: a redacted reasoning block, then the text "Answer 42". */
    private static void queueBedrockRedacted() {
        ArrayNode content = NODES.arrayNode();
        content.addObject().putObject("reasoningContent").put("redactedContent", AnthropicMock.REDACTED);
        content.addObject().put("text", "Answer 42");
        bedrock.reply(BedrockMock.converseResponse(content, "end_turn", 10, 7));
    }

    private static HttpResponse<String> chat(String body) {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", json(body).toString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    @Test
    void anthropicRedactedReachesOpenAiStream() {
        HttpResponse<String> streamed = chat("""
                {'model':'an/redacted-claude','stream':true,'messages':[{'role':'user','content':'q'}]}""");
        HttpResponse<String> whole = chat("""
                {'model':'an/redacted-claude','messages':[{'role':'user','content':'q'}]}""");

        List<JsonNode> blocks = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Event event : AiTestClient.events(streamed.body())) {
            if (!event.data().equals("[DONE]")) {
                JsonNode delta = event.json().path("choices").path(0).path("delta");
                delta.path("thinking_blocks").forEach(blocks::add);
                text.append(delta.path("content").asText(""));
            }
        }
        JsonNode redacted = json("{'type':'redacted_thinking','data':'" + AnthropicMock.REDACTED + "'}");
        assertThat(blocks).containsExactly(redacted);
        assertThat(text.toString()).isEqualTo("Hello from an");
        JsonNode message = AiTestClient.json(whole).path("choices").path(0).path("message");
        assertThat(message.get("thinking_blocks")).containsExactly(redacted);
    }

    @Test
    void bedrockRedactedReachesAnthropicStream() {
        queueBedrockRedacted();

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", json("""
                {'model':'aws/%s','max_tokens':100,'stream':true,
                 'messages':[{'role':'user','content':'q'}]}""".formatted(BEDROCK_MODEL)).toString(),
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.contentBlockEvents(response.body())).containsExactly(
                json("{'type':'content_block_start','index':0,'content_block':{'type':'redacted_thinking',"
                        + "'data':'" + AnthropicMock.REDACTED + "'}}"),
                json("{'type':'content_block_stop','index':0}"),
                json("{'type':'content_block_start','index':1,'content_block':{'type':'text','text':''}}"),
                json("{'type':'content_block_delta','index':1,'delta':{'type':'text_delta','text':'Answ'}}"),
                json("{'type':'content_block_delta','index':1,'delta':{'type':'text_delta','text':'er 42'}}"),
                json("{'type':'content_block_stop','index':1}"));
    }

    @Test
    void bedrockRedactedSdkAccumulates() {
        queueBedrockRedacted();
        MessageAccumulator accumulator = MessageAccumulator.create();
        MessageCreateParams params = MessageCreateParams.builder().model("aws/" + BEDROCK_MODEL).maxTokens(100)
                .addUserMessage("q").build();

        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }

        List<ContentBlock> content = accumulator.message().content();
        assertThat(content).hasSize(2);
        assertThat(content.get(0).isRedactedThinking()).isTrue();
        assertThat(content.get(0).asRedactedThinking().data()).isEqualTo(AnthropicMock.REDACTED);
        assertThat(content.get(1).isText()).isTrue();
        assertThat(content.get(1).asText().text()).isEqualTo("Answer 42");
    }
}
