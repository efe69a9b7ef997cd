package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.GeminiMock.Reply;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Thought signatures of Gemini and Claude across providers. Gemini's signatures reach clients in thinking blocks
 * with the prefix {@code gemini:}, before the call or text they belong to, and go back to Gemini only. Claude's go
 * back to Claude only.
 */
class AiThoughtSignatureTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String SIGNATURE = "Z2VtLXNpZw==";

    private static Vertx vertx;
    private static GeminiMock gemini;
    private static AnthropicMock anthropic;
    private static TestNode node;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        gemini = GeminiMock.geminiApi(vertx, "AIza-signatures").await();
        anthropic = new AnthropicMock("an", "sk-an");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("gem", "gemini", gemini.baseUrl(), "AIza-signatures").putObject("retries")
                .put("attempts", 1);
        config.provider("an", "anthropic", anthropic.baseUrl(), "sk-an").putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        anthropic.close();
        gemini.close();
        vertx.close().await();
    }

    private static JsonNode json(String text) {
        return AiTestClient.quotedJson(text);
    }

    /** Queues Gemini's signed call of get_weather for Paris, with the id {@code fc-1}. */
    private static void queueSignedCall() {
        ArrayNode parts = NODES.arrayNode();
        ObjectNode part = parts.addObject().put("thoughtSignature", SIGNATURE);
        part.putObject("functionCall").put("id", "fc-1").put("name", "get_weather").putObject("args")
                .put("city", "Paris");
        gemini.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(20, 9, 0, 0)));
    }

    private static HttpResponse<String> messages(String body) {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", json(body).toString(),
                "anthropic-version", "2023-06-01");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    /** Returns the assistant turn that Gemini received in its last request. */
    private static JsonNode geminiModelTurn() {
        List<GeminiMock.Recorded> requests = gemini.requests();
        return requests.get(requests.size() - 1).json().path("contents").path(1);
    }

    @Test
    void signedCallStreamsThinkingFirst() {
        queueSignedCall();

        HttpResponse<String> response = messages("""
                {'model':'gem/gemini-2.5-flash','max_tokens':100,'stream':true,
                 'messages':[{'role':'user','content':'Hi'}],
                 'tools':[{'name':'get_weather','input_schema':{'type':'object'}}]}""");

        assertThat(AiTestClient.contentBlockEvents(response.body())).containsExactly(
                json("{'type':'content_block_start','index':0,'content_block':{'type':'thinking','thinking':'',"
                        + "'signature':''}}"),
                json("{'type':'content_block_delta','index':0,'delta':{'type':'signature_delta',"
                        + "'signature':'gemini:" + SIGNATURE + "'}}"),
                json("{'type':'content_block_stop','index':0}"),
                json("{'type':'content_block_start','index':1,'content_block':{'type':'tool_use','id':'fc-1',"
                        + "'name':'get_weather','input':{}}}"),
                json("{'type':'content_block_delta','index':1,'delta':{'type':'input_json_delta',"
                        + "'partial_json':'{\\'city\\':\\'Paris\\'}'}}"),
                json("{'type':'content_block_stop','index':1}"));
    }

    @Test
    void signedCallMarkedWhenNotStreamed() {
        queueSignedCall();

        HttpResponse<String> response = messages("""
                {'model':'gem/gemini-2.5-flash','max_tokens':100,'messages':[{'role':'user','content':'Hi'}],
                 'tools':[{'name':'get_weather','input_schema':{'type':'object'}}]}""");

        JsonNode expected = json("""
                [{'type':'thinking','thinking':'','signature':'gemini:%s'},
                 {'type':'tool_use','id':'fc-1','name':'get_weather','input':{'city':'Paris'}}]
                """.formatted(SIGNATURE));
        assertThat(AiTestClient.json(response).get("content")).isEqualTo(expected);
    }

    @Test
    void signedTextStreamsThinkingFirst() {
        ArrayNode parts = NODES.arrayNode();
        parts.addObject().put("text", "Hello there").put("thoughtSignature", SIGNATURE);
        gemini.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(20, 9, 0, 0)));

        HttpResponse<String> response = messages("""
                {'model':'gem/gemini-2.5-flash','max_tokens':100,'stream':true,
                 'messages':[{'role':'user','content':'Hi'}]}""");

        assertThat(AiTestClient.contentBlockEvents(response.body())).containsExactly(
                json("{'type':'content_block_start','index':0,'content_block':{'type':'thinking','thinking':'',"
                        + "'signature':''}}"),
                json("{'type':'content_block_delta','index':0,'delta':{'type':'signature_delta',"
                        + "'signature':'gemini:" + SIGNATURE + "'}}"),
                json("{'type':'content_block_stop','index':0}"),
                json("{'type':'content_block_start','index':1,'content_block':{'type':'text','text':''}}"),
                json("{'type':'content_block_delta','index':1,'delta':{'type':'text_delta','text':'Hello there'}}"),
                json("{'type':'content_block_stop','index':1}"));
    }

    @Test
    void geminiSignatureReturnsToGemini() {
        gemini.enqueue(Reply.text("Rain in Paris."));

        messages("""
                {'model':'gem/gemini-3-pro-preview','max_tokens':100,
                 'messages':[{'role':'user','content':'Weather?'},
                  {'role':'assistant','content':[
                    {'type':'thinking','thinking':'','signature':'gemini:%s'},
                    {'type':'tool_use','id':'fc-1','name':'get_weather','input':{'city':'Paris'}}]},
                  {'role':'user','content':[{'type':'tool_result','tool_use_id':'fc-1','content':'rain'}]}],
                 'tools':[{'name':'get_weather','input_schema':{'type':'object'}}]}""".formatted(SIGNATURE));

        assertThat(geminiModelTurn()).isEqualTo(json("""
                {'role':'model','parts':[{'functionCall':{'id':'fc-1','name':'get_weather','args':{'city':'Paris'}},
                  'thoughtSignature':'%s'}]}""".formatted(SIGNATURE)));
    }

    @Test
    void claudeSignatureStaysOffGemini() {
        gemini.enqueue(Reply.text("Rain in Paris."));

        messages("""
                {'model':'gem/gemini-2.5-flash','max_tokens':100,
                 'messages':[{'role':'user','content':'Weather?'},
                  {'role':'assistant','content':[
                    {'type':'thinking','thinking':'Let me think','signature':'SIGX'},
                    {'type':'tool_use','id':'toolu_9','name':'get_weather','input':{'city':'Paris'}}]},
                  {'role':'user','content':[{'type':'tool_result','tool_use_id':'toolu_9','content':'rain'}]}],
                 'tools':[{'name':'get_weather','input_schema':{'type':'object'}}]}""");

        assertThat(geminiModelTurn()).isEqualTo(json("""
                {'role':'model','parts':[
                  {'functionCall':{'id':'toolu_9','name':'get_weather','args':{'city':'Paris'}}}]}"""));
    }

    @Test
    void geminiSignatureStaysOffClaude() {
        messages("""
                {'model':'an/claude-sonnet-4-5','max_tokens':100,
                 'messages':[{'role':'user','content':'Weather?'},
                  {'role':'assistant','content':[
                    {'type':'thinking','thinking':'','signature':'gemini:%s'},
                    {'type':'thinking','thinking':'Let me think','signature':'SIGX'},
                    {'type':'tool_use','id':'fc-1','name':'get_weather','input':{'city':'Paris'}}]},
                  {'role':'user','content':[{'type':'tool_result','tool_use_id':'fc-1','content':'rain'}]}],
                 'tools':[{'name':'get_weather','input_schema':{'type':'object'}}]}""".formatted(SIGNATURE));

        assertThat(anthropic.last().body().path("messages").path(1)).isEqualTo(json("""
                {'role':'assistant','content':[
                  {'type':'thinking','thinking':'Let me think','signature':'SIGX'},
                  {'type':'tool_use','id':'fc-1','name':'get_weather','input':{'city':'Paris'}}]}"""));
    }

    @Test
    void openAiGeminiBlockStaysOffClaude() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", json("""
                {'model':'an/claude-sonnet-4-5','messages':[{'role':'user','content':'Weather?'},
                  {'role':'assistant','content':null,
                   'tool_calls':[{'id':'fc-1','type':'function',
                     'function':{'name':'get_weather','arguments':'{\\'city\\':\\'Paris\\'}'}}],
                   'thinking_blocks':[{'type':'thinking','thinking':'','signature':'gemini:%s'}]},
                  {'role':'tool','tool_call_id':'fc-1','content':'rain'}],
                 'tools':[{'type':'function','function':{'name':'get_weather'}}]}""".formatted(SIGNATURE))
                .toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(anthropic.last().body().path("messages").path(1)).isEqualTo(json("""
                {'role':'assistant','content':[
                  {'type':'tool_use','id':'fc-1','name':'get_weather','input':{'city':'Paris'}}]}"""));
    }
}
