package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.mock.AnthropicMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Claude's signed thinking blocks on their way to an OpenAI client and back. The mock Anthropic provider streams
 * the thinking "Let me think." with the signature "sig-1". It does not check the blocks sent back, so the tests
 * compare the exact blocks it received.
 */
class AiThinkingRoundTripTest {

    /** The assistant turn the provider must receive: the thinking block with its full text, then the text reply. */
    private static final String WHOLE_TURN = """
            {'role':'assistant','content':[
              {'type':'thinking','thinking':'Let me think.','signature':'sig-1'},
              {'type':'text','text':'Answer.'}]}""";

    private static AnthropicMock anthropic;
    private static TestNode node;

    @BeforeAll
    static void start() {
        anthropic = new AnthropicMock("an", "sk-an");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("an", "anthropic", anthropic.baseUrl(), "sk-an").putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        anthropic.close();
    }

    private static JsonNode json(String text) {
        return AiTestClient.quotedJson(text);
    }

    private static HttpResponse<String> chat(String body) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", json(body).toString());
    }

    @Test
    void streamedThinkingBlockCarriesText() {
        HttpResponse<String> response = chat("""
                {'model':'an/claude-sonnet-4-5','stream':true,'thinking':{'type':'enabled','budget_tokens':1024},
                 'messages':[{'role':'user','content':'q'}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> blocks = new ArrayList<>();
        StringBuilder reasoning = new StringBuilder();
        for (AiTestClient.Event event : AiTestClient.events(response.body())) {
            if (event.data().equals("[DONE]")) {
                continue;
            }
            JsonNode delta = json(event.data()).path("choices").path(0).path("delta");
            reasoning.append(delta.path("reasoning_content").asText(""));
            delta.path("thinking_blocks").forEach(blocks::add);
        }
        assertThat(reasoning.toString()).isEqualTo("Let me think.");
        assertThat(blocks).containsExactly(json("""
                {'type':'thinking','thinking':'Let me think.','signature':'sig-1'}"""));
    }

    /** Sends back an assistant turn whose one thinking block has {@code thinking} as its text. */
    private static JsonNode sendBack(String thinking) {
        HttpResponse<String> response = chat("""
                {'model':'an/claude-sonnet-4-5','messages':[{'role':'user','content':'q'},
                  {'role':'assistant','content':'Answer.','reasoning_content':'Let me think.',
                   'thinking_blocks':[{'type':'thinking','thinking':'%s','signature':'sig-1'}]},
                  {'role':'user','content':'more'}]}""".formatted(thinking));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return anthropic.last().body().path("messages").path(1);
    }

    @Test
    void streamedBlockGoesBackWhole() {
        assertThat(sendBack("Let me think.")).isEqualTo(json(WHOLE_TURN));
    }

    @Test
    void emptyBlockFilledFromReasoning() {
        assertThat(sendBack("")).isEqualTo(json(WHOLE_TURN));
    }
}
