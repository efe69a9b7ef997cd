package io.portico.ai.provider;

import static io.portico.ai.provider.GoogleFixtures.json;
import static io.portico.ai.provider.GoogleFixtures.reparsed;
import static io.portico.ai.provider.GoogleFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.GoogleFixtures.RecordingSink;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.config.Errors;
import io.portico.config.ProviderSpec;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GeminiAdapterTest {

    private static final String BASE = "https://generativelanguage.googleapis.com/v1beta";
    private final GeminiAdapter adapter = new GeminiAdapter();
    private final CallTarget target = GoogleFixtures.target(
            GoogleFixtures.spec("gemini", null, Map.of("x-goog-user-project", "p1"), null, null, null, null),
            BASE, "gemini-2.5-flash", "AIza-test");

    private static final String RICH_REQUEST = """
            {'model':'gemini-2.5-flash','messages':[
              {'role':'system','content':'Be brief.'},
              {'role':'developer','content':[{'type':'text','text':'Use metric units.'}]},
              {'role':'user','content':[{'type':'text','text':'Weather in Paris? See the photo.'},
                {'type':'image_url','image_url':{'url':'data:image/jpeg;base64,iVBORw0KGgoAAAANSUhEUgAA'}}]},
              {'role':'assistant','content':null,'tool_calls':[
                {'id':'call_0','type':'function','function':{'name':'get_weather',
                  'arguments':'{\\'city\\':\\'Paris\\'}'}},
                {'id':'fc-7','type':'function','function':{'name':'get_time','arguments':''}}],
               'thinking_blocks':[{'type':'thinking','thinking':'','signature':'gemini:c2lnLTE='}]},
              {'role':'tool','tool_call_id':'fc-7','content':'12:00'},
              {'role':'tool','tool_call_id':'call_0','content':'{\\'temp\\':21}'},
              {'role':'user','content':'Thanks. And Oslo?'}],
             'tools':[
              {'type':'function','function':{'name':'get_weather','description':'Current weather','parameters':
                {'type':'object','properties':{'city':{'type':'string'}},'required':['city'],
                 'additionalProperties':false}}},
              {'type':'function','function':{'name':'get_time'}}],
             'tool_choice':'required','parallel_tool_calls':true,
             'response_format':{'type':'json_schema','json_schema':{'name':'answer','strict':true,
               'schema':{'type':'object','properties':{'text':{'type':'string'}}}}},
             'max_completion_tokens':256,'temperature':0.3,'top_p':0.9,'top_k':40,'stop':['END'],'seed':7,
             'presence_penalty':0.5,'user':'u-1','n':1,'reasoning_effort':'low'}
            """;

    @Test
    void richRequestBuildsCall() {
        ProviderCall call = adapter.chat(request(RICH_REQUEST), target);

        assertThat(call.method()).isEqualTo(HttpMethod.POST);
        assertThat(call.url()).isEqualTo(BASE + "/models/gemini-2.5-flash:generateContent");
        assertThat(call.headers().get("x-goog-api-key")).isEqualTo("AIza-test");
        assertThat(call.headers().get("content-type")).isEqualTo("application/json");
        assertThat(call.headers().get("x-goog-user-project")).isEqualTo("p1");
        assertThat(Wire.parse(call.body())).isEqualTo(json("""
                {'contents':[
                  {'role':'user','parts':[{'text':'Weather in Paris? See the photo.'},
                    {'inlineData':{'mimeType':'image/png','data':'iVBORw0KGgoAAAANSUhEUgAA'}}]},
                  {'role':'model','parts':[
                    {'functionCall':{'name':'get_weather','args':{'city':'Paris'}},'thoughtSignature':'c2lnLTE='},
                    {'functionCall':{'id':'fc-7','name':'get_time','args':{}}}]},
                  {'role':'user','parts':[
                    {'functionResponse':{'name':'get_weather','response':{'temp':21}}},
                    {'functionResponse':{'id':'fc-7','name':'get_time','response':{'output':'12:00'}}},
                    {'text':'Thanks. And Oslo?'}]}],
                 'systemInstruction':{'parts':[{'text':'Be brief.\\n\\nUse metric units.'}]},
                 'tools':[{'functionDeclarations':[
                   {'name':'get_weather','description':'Current weather','parametersJsonSchema':
                     {'type':'object','properties':{'city':{'type':'string'}},'required':['city'],
                      'additionalProperties':false}},
                   {'name':'get_time'}]}],
                 'toolConfig':{'functionCallingConfig':{'mode':'ANY'}},
                 'generationConfig':{'maxOutputTokens':256,'temperature':0.3,'topP':0.9,'topK':40,'seed':7,
                   'presencePenalty':0.5,'stopSequences':['END'],'responseMimeType':'application/json',
                   'responseJsonSchema':{'type':'object','properties':{'text':{'type':'string'}}},
                   'thinkingConfig':{'includeThoughts':true,'thinkingBudget':1024}}}
                """));
    }

    @Test
    void streamRequestUsesSse() {
        ProviderCall call = adapter.chat(request("{'stream':true,'messages':[{'role':'user','content':'Hi'}]}"),
                target);

        assertThat(call.url()).isEqualTo(BASE + "/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        assertThat(Wire.parse(call.body())).isEqualTo(json("{'contents':[{'role':'user','parts':[{'text':'Hi'}]}]}"));
    }

    @Test
    void modelWithPrefixKeepsOnePrefix() {
        CallTarget prefixed = GoogleFixtures.target(target.provider(), BASE, "models/gemini-2.0-flash", null);

        ProviderCall call = adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"), prefixed);

        assertThat(call.url()).isEqualTo(BASE + "/models/gemini-2.0-flash:generateContent");
        assertThat(call.headers().contains("x-goog-api-key")).isFalse();
    }

    @Test
    void toolChoiceVariantsMapToCallingModes() {
        String tools = "'tools':[{'type':'function','function':{'name':'f'}}],"
                + "'messages':[{'role':'user','content':'Hi'}]";

        assertThat(toolConfig("{" + tools + ",'tool_choice':'auto'}")).isEqualTo(json("{'mode':'AUTO'}"));
        assertThat(toolConfig("{" + tools + ",'tool_choice':'none'}")).isEqualTo(json("{'mode':'NONE'}"));
        assertThat(toolConfig("{" + tools + ",'tool_choice':{'type':'function','function':{'name':'f'}}}"))
                .isEqualTo(json("{'mode':'ANY','allowedFunctionNames':['f']}"));
        assertThat(toolConfig("{" + tools + "}")).isNull();
    }

    private JsonNode toolConfig(String request) {
        JsonNode body = Wire.parse(adapter.chat(request(request), target).body());
        return body.path("toolConfig").get("functionCallingConfig");
    }

    @Test
    void jsonModeAndThinkingMap() {
        JsonNode body = Wire.parse(adapter.chat(request("""
                {'messages':[{'role':'user','content':'Hi'}],'response_format':{'type':'json_object'},
                 'max_tokens':64,'stop':'STOP','thinking':{'type':'enabled','budget_tokens':2048}}
                """), target).body());

        assertThat(body.get("generationConfig")).isEqualTo(json("""
                {'maxOutputTokens':64,'stopSequences':['STOP'],'responseMimeType':'application/json',
                 'thinkingConfig':{'includeThoughts':true,'thinkingBudget':2048}}
                """));
    }

    @Test
    void signatureWithoutToolCallsGoesOnLastText() {
        JsonNode body = Wire.parse(adapter.chat(request("""
                {'messages':[{'role':'user','content':'Hi'},
                  {'role':'assistant','content':'Hello.','thinking_blocks':[{'type':'thinking','thinking':'',
                   'signature':'gemini:c2ln'}]},
                  {'role':'user','content':'Again'}]}
                """), target).body());

        assertThat(body.path("contents").get(1)).isEqualTo(json(
                "{'role':'model','parts':[{'text':'Hello.','thoughtSignature':'c2ln'}]}"));
    }

    @Test
    void toolCallSignatureFieldWins() {
        JsonNode body = Wire.parse(adapter.chat(request("""
                {'messages':[{'role':'user','content':'Hi'},
                  {'role':'assistant','tool_calls':[{'id':'call_0','type':'function','function':{'name':'f',
                    'arguments':'{}'},'extra_content':{'google':{'thought_signature':'b3du'}}}],
                   'thinking_blocks':[{'type':'thinking','thinking':'','signature':'gemini:b3RoZXI='}]},
                  {'role':'tool','tool_call_id':'call_0','content':[{'type':'text','text':'done'}]}]}
                """), target).body());

        assertThat(body.path("contents").get(1)).isEqualTo(json(
                "{'role':'model','parts':[{'functionCall':{'name':'f','args':{}},'thoughtSignature':'b3du'}]}"));
        assertThat(body.path("contents").get(2)).isEqualTo(json(
                "{'role':'user','parts':[{'functionResponse':{'name':'f','response':{'output':'done'}}}]}"));
    }

    @Test
    void callIdsDifferBetweenResponses() {
        String response = "{'candidates':[{'content':{'role':'model','parts':[{'functionCall':{'name':'get_weather',"
                + "'args':{'city':'Oslo'}}},{'functionCall':{'name':'get_weather','args':{'city':'Oslo'}}}]},"
                + "'finishReason':'STOP'}],'responseId':'%s'}";

        JsonNode first = adapter.chatResponse(json(response.formatted("resp-a")), request("{'messages':[]}"), target)
                .at("/choices/0/message/tool_calls");
        JsonNode second = adapter.chatResponse(json(response.formatted("resp-b")), request("{'messages':[]}"), target)
                .at("/choices/0/message/tool_calls");
        RecordingSink streamed = translate(List.of(response.formatted("resp-a")));

        assertThat(first.get(0).get("id").asText()).isEqualTo("call_ae27c0602fc9624f98dc1b34");
        assertThat(first.get(1).get("id").asText()).isEqualTo("call_ade58b3f408dfcfb138c81b2");
        assertThat(second.get(0).get("id").asText()).isEqualTo("call_82a3695cc281e7f1167c1c41");
        assertThat(second.get(1).get("id").asText()).isEqualTo("call_f6663fc2be73025259cd907c");
        assertThat(streamed.deltas()).contains(
                json("{'tool_calls':[{'index':0,'id':'call_ae27c0602fc9624f98dc1b34','type':'function',"
                        + "'function':{'name':'get_weather','arguments':''}}]}"),
                json("{'tool_calls':[{'index':1,'id':'call_ade58b3f408dfcfb138c81b2','type':'function',"
                        + "'function':{'name':'get_weather','arguments':''}}]}"));
    }

    @Test
    void generatedCallIdsStayOffRequests() {
        JsonNode body = Wire.parse(adapter.chat(request("""
                {'messages':[{'role':'user','content':'Weather in Oslo and Bergen?'},
                  {'role':'assistant','tool_calls':[
                    {'id':'call_ae27c0602fc9624f98dc1b34','type':'function','function':{'name':'get_weather',
                      'arguments':'{}'}},
                    {'id':'call_1','type':'function','function':{'name':'get_time','arguments':'{}'}}]},
                  {'role':'tool','tool_call_id':'call_1','content':'noon'},
                  {'role':'tool','tool_call_id':'call_ae27c0602fc9624f98dc1b34','content':'rain'}]}
                """), target).body());

        assertThat(body.path("contents").get(1)).isEqualTo(json("""
                {'role':'model','parts':[{'functionCall':{'name':'get_weather','args':{}}},
                  {'functionCall':{'name':'get_time','args':{}}}]}"""));
        assertThat(body.path("contents").get(2)).isEqualTo(json("""
                {'role':'user','parts':[{'functionResponse':{'name':'get_weather','response':{'output':'rain'}}},
                  {'functionResponse':{'name':'get_time','response':{'output':'noon'}}}]}"""));
    }

    @Test
    void toolResultWithoutCallIsRejected() {
        ChatRequest orphan = request("{'messages':[{'role':'user','content':'Hi'},"
                + "{'role':'tool','tool_call_id':'x1','content':'late'}]}");

        assertThatThrownBy(() -> adapter.chat(orphan, target))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(400);
                    assertThat(e.error().message()).contains("x1");
                });
    }

    @Test
    void imageUrlsFollowServiceRules() {
        String files = "https://generativelanguage.googleapis.com/v1beta/files/abc123";
        JsonNode body = Wire.parse(adapter.chat(request(imageRequest(files)), target).body());
        assertThat(body.at("/contents/0/parts/0")).isEqualTo(json("{'fileData':{'fileUri':'" + files + "'}}"));

        assertThatThrownBy(() -> adapter.chat(request(imageRequest("https://example.com/cat.png")), target))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(400);
                    assertThat(e.error().message()).isEqualTo("this provider accepts only inline images");
                });
    }

    static String imageRequest(String url) {
        return "{'messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':'" + url + "'}}]}]}";
    }

    @Test
    void responseTranslates() {
        JsonNode body = json("""
                {'candidates':[{'content':{'role':'model','parts':[
                   {'text':'Weighing options.','thought':true},
                   {'text':'Checking both.'},
                   {'functionCall':{'id':'fc-9','name':'get_weather','args':{'city':'Paris'}},
                    'thoughtSignature':'c2lnLTI='},
                   {'functionCall':{'name':'get_time'}}]},
                  'finishReason':'STOP','index':0}],
                 'usageMetadata':{'promptTokenCount':120,'candidatesTokenCount':30,'cachedContentTokenCount':100,
                   'thoughtsTokenCount':45,'toolUsePromptTokenCount':5,'totalTokenCount':200},
                 'modelVersion':'gemini-2.5-flash-001','responseId':'resp-1'}
                """);

        ObjectNode response = adapter.chatResponse(body, request("{'messages':[]}"), target);

        assertThat(response.remove("created").isNumber()).isTrue();
        assertThat(reparsed(response)).isEqualTo(json("""
                {'id':'resp-1','object':'chat.completion','model':'gemini-2.5-flash-001',
                 'choices':[{'index':0,'finish_reason':'tool_calls','message':{'role':'assistant',
                   'content':'Checking both.','reasoning_content':'Weighing options.',
                   'thinking_blocks':[{'type':'thinking','thinking':'','signature':'gemini:c2lnLTI='}],
                   'tool_calls':[
                     {'id':'fc-9','type':'function','function':{'name':'get_weather',
                        'arguments':'{\\'city\\':\\'Paris\\'}'},
                      'extra_content':{'google':{'thought_signature':'c2lnLTI='}}},
                     {'id':'call_8c0c2a0216b841b393994ff5','type':'function',
                      'function':{'name':'get_time','arguments':'{}'}}]}}],
                 'usage':{'prompt_tokens':125,'completion_tokens':75,'total_tokens':200,
                   'prompt_tokens_details':{'cached_tokens':100},
                   'completion_tokens_details':{'reasoning_tokens':45}}}
                """));
    }

    @Test
    void responsesWithoutIdGetDistinctIds() {
        JsonNode body = json("{'candidates':[{'content':{'role':'model','parts':[{'text':'x'}]},"
                + "'finishReason':'STOP'}]}");

        String first = adapter.chatResponse(body, request("{'messages':[]}"), target).path("id").asText();
        String second = adapter.chatResponse(body, request("{'messages':[]}"), target).path("id").asText();

        assertThat(first).startsWith("chatcmpl-");
        assertThat(second).startsWith("chatcmpl-");
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void streamsWithoutIdGetDistinctIds() {
        List<String> event = List.of("{'candidates':[{'content':{'role':'model','parts':[{'text':'x'}]},"
                + "'finishReason':'STOP'}]}");

        RecordingSink first = translate(event);
        RecordingSink second = translate(event);

        String id = first.chunks.get(0).path("id").asText();
        assertThat(id).startsWith("chatcmpl-");
        assertThat(first.chunks).allSatisfy(chunk -> assertThat(chunk.path("id").asText()).isEqualTo(id));
        assertThat(second.chunks.get(0).path("id").asText()).isNotEqualTo(id);
    }

    @Test
    void finishReasonsMap() {
        assertThat(finish("STOP")).isEqualTo("stop");
        assertThat(finish("MAX_TOKENS")).isEqualTo("length");
        for (String safety : List.of("SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII")) {
            assertThat(finish(safety)).as(safety).isEqualTo("content_filter");
        }
        assertThat(finish("OTHER")).isEqualTo("stop");
    }

    private String finish(String reason) {
        JsonNode body = json("{'candidates':[{'content':{'role':'model','parts':[{'text':'x'}]},'finishReason':'"
                + reason + "'}]}");
        return adapter.chatResponse(body, request("{'messages':[]}"), target).at("/choices/0/finish_reason").asText();
    }

    @Test
    void streamTranslatesToolCallsAndUsage() {
        RecordingSink sink = translate(List.of(
                "{'candidates':[{'content':{'role':'model','parts':[{'text':'Checking','thought':true}]},'index':0}],"
                        + "'usageMetadata':{'promptTokenCount':30,'totalTokenCount':30},"
                        + "'modelVersion':'gemini-2.5-flash','responseId':'r1'}",
                "{'candidates':[{'content':{'role':'model','parts':[{'text':'Let me look.'}]},'index':0}]}",
                "{'candidates':[{'content':{'role':'model','parts':[{'functionCall':{'name':'get_weather','args':"
                        + "{'city':'Paris'}},'thoughtSignature':'c2ln'},{'functionCall':{'name':'get_time'}}]}}]}",
                "{'candidates':[{'content':{'role':'model','parts':[{'text':''}]},'finishReason':'STOP','index':0}],"
                        + "'usageMetadata':{'promptTokenCount':30,'candidatesTokenCount':12,"
                        + "'cachedContentTokenCount':8,'thoughtsTokenCount':20,'totalTokenCount':62}}"));

        assertThat(sink.deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'reasoning_content':'Checking'}"),
                json("{'content':'Let me look.'}"),
                json("{'thinking_blocks':[{'type':'thinking','thinking':'','signature':'gemini:c2ln'}]}"),
                json("{'tool_calls':[{'index':0,'id':'call_4cafe4418f4004227fa02e51','type':'function',"
                        + "'function':{'name':'get_weather','arguments':''},"
                        + "'extra_content':{'google':{'thought_signature':'c2ln'}}}]}"),
                json("{'tool_calls':[{'index':0,'function':{'arguments':'{\\'city\\':\\'Paris\\'}'}}]}"),
                json("{'tool_calls':[{'index':1,'id':'call_667a480799e49346c6c6a86f','type':'function',"
                        + "'function':{'name':'get_time','arguments':''}}]}"),
                json("{'tool_calls':[{'index':1,'function':{'arguments':'{}'}}]}"),
                json("{'finish':'tool_calls'}"));
        assertThat(sink.chunks).allSatisfy(chunk -> {
            assertThat(chunk.get("id").asText()).isEqualTo("r1");
            assertThat(chunk.get("model").asText()).isEqualTo("gemini-2.5-flash");
            assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
        });
        assertThat(sink.usage).isEqualTo(new Usage(30, 32, 8, 0, 20, false));
        assertThat(sink.errors).isEmpty();
    }

    @Test
    void streamSafetyStopIsContentFilter() {
        RecordingSink sink = translate(List.of(
                "{'candidates':[{'content':{'role':'model','parts':[{'text':'Once upon'}]}}]}",
                "{'candidates':[{'finishReason':'SAFETY','safetyRatings':[{'category':'HARM_CATEGORY_HARASSMENT',"
                        + "'probability':'HIGH','blocked':true}]}]}"));

        assertThat(sink.deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'content':'Once upon'}"),
                json("{'finish':'content_filter'}"));
    }

    @Test
    void malformedFunctionCallFailsResponse() {
        JsonNode body = json("{'candidates':[{'content':{'role':'model','parts':[{'text':'Let me look.'}]},"
                + "'finishReason':'MALFORMED_FUNCTION_CALL','finishMessage':'Malformed function call: print(x'}],"
                + "'usageMetadata':{'promptTokenCount':9,'totalTokenCount':9}}");

        assertThatThrownBy(() -> adapter.chatResponse(body, request("{'messages':[]}"), target))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(502);
                    assertThat(e.error().type()).isEqualTo("api_error");
                    assertThat(e.error().code()).isEqualTo("invalid_tool_call");
                    assertThat(e.error().message()).isEqualTo("provider: the model generated an invalid tool call"
                            + " (finishReason MALFORMED_FUNCTION_CALL): Malformed function call: print(x");
                });
    }

    @Test
    void unexpectedToolCallFailsResponse() {
        JsonNode body = json("{'candidates':[{'finishReason':'UNEXPECTED_TOOL_CALL'}]}");

        assertThatThrownBy(() -> adapter.chatResponse(body, request("{'messages':[]}"), target))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().code()).isEqualTo("invalid_tool_call");
                    assertThat(e.error().message()).endsWith("(finishReason UNEXPECTED_TOOL_CALL)");
                });
    }

    @Test
    void streamMalformedFunctionCallFails() {
        RecordingSink sink = translate(List.of(
                "{'candidates':[{'content':{'role':'model','parts':[{'text':'Let me look.'}]}}]}",
                "{'candidates':[{'finishReason':'MALFORMED_FUNCTION_CALL'}],"
                        + "'usageMetadata':{'promptTokenCount':9,'candidatesTokenCount':3,'totalTokenCount':12}}",
                "{'candidates':[{'content':{'role':'model','parts':[{'text':'late'}]},'finishReason':'STOP'}]}"));

        assertThat(sink.errors).containsExactly(new AiError(502, "api_error", "invalid_tool_call",
                "provider: the model generated an invalid tool call (finishReason MALFORMED_FUNCTION_CALL)", -1));
        assertThat(sink.deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'content':'Let me look.'}"));
        assertThat(sink.usage.outputTokens()).isEqualTo(3);
    }

    @Test
    void blockedPromptIsSameStreamedAndNot() {
        String blocked = "{'promptFeedback':{'blockReason':'PROHIBITED_CONTENT'},"
                + "'usageMetadata':{'promptTokenCount':7,'totalTokenCount':7},'modelVersion':'gemini-2.5-flash'}";

        ObjectNode response = adapter.chatResponse(json(blocked), request("{'messages':[]}"), target);
        RecordingSink sink = translate(List.of(blocked));

        assertThat(response.at("/choices/0/message")).isEqualTo(json("{'role':'assistant','content':''}"));
        assertThat(response.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
        assertThat(sink.deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'finish':'content_filter'}"));
        assertThat(sink.usage.inputTokens()).isEqualTo(7);
        assertThat(response.at("/usage/prompt_tokens").asLong()).isEqualTo(7);
    }

    @Test
    void streamErrorEventFails() {
        RecordingSink sink = translate(List.of(
                "{'candidates':[{'content':{'role':'model','parts':[{'text':'Hel'}]}}]}",
                "{'error':{'code':503,'message':'The model is overloaded. Please try again later.',"
                        + "'status':'UNAVAILABLE'}}"));

        assertThat(sink.errors).containsExactly(new AiError(503, "api_error", "unavailable",
                "provider: The model is overloaded. Please try again later.", -1));
        assertThat(sink.deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'content':'Hel'}"));
    }

    private RecordingSink translate(List<String> events) {
        StreamTranslator translator = adapter.chatStream(request("{'stream':true,'messages':[]}"), target);
        RecordingSink sink = new RecordingSink();
        for (String event : events) {
            translator.frame(StreamFrame.of(null, json(event).toString()), sink);
        }
        translator.end(sink);
        return sink;
    }

    @Test
    void errorReadsRetryInfo() {
        Buffer body = Buffer.buffer(json("""
                {'error':{'code':429,'message':'You exceeded your current quota.','status':'RESOURCE_EXHAUSTED',
                  'details':[{'@type':'type.googleapis.com/google.rpc.RetryInfo','retryDelay':'37s'}]}}
                """).toString());

        AiError error = adapter.error(429, MultiMap.caseInsensitiveMultiMap(), body);

        assertThat(error).isEqualTo(new AiError(429, "rate_limit_error", "resource_exhausted",
                "provider: You exceeded your current quota.", 37_000));
    }

    @Test
    void errorPrefersRetryAfterHeader() {
        Buffer body = Buffer.buffer("{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}");

        AiError error = adapter.error(503, MultiMap.caseInsensitiveMultiMap().set("retry-after", "5"), body);

        assertThat(error).isEqualTo(new AiError(503, "api_error", "unavailable", "provider: busy", 5_000));
    }

    @Test
    void errorWithoutJsonKeepsStatus() {
        AiError error = adapter.error(502, null, Buffer.buffer("Bad Gateway"));

        assertThat(error.status()).isEqualTo(502);
        assertThat(error.message()).isEqualTo("provider: Bad Gateway");
    }

    @Test
    void embeddingsTranslate() {
        ObjectNode request = (ObjectNode) json("{'model':'text-embedding-004','input':['a b','c'],'dimensions':3}");
        CallTarget embedding = GoogleFixtures.target(target.provider(), BASE, "text-embedding-004", "k");

        ProviderCall call = adapter.embeddings(request, embedding);

        assertThat(call.url()).isEqualTo(BASE + "/models/text-embedding-004:batchEmbedContents");
        assertThat(Wire.parse(call.body())).isEqualTo(json("""
                {'requests':[
                  {'model':'models/text-embedding-004','content':{'parts':[{'text':'a b'}]},'outputDimensionality':3},
                  {'model':'models/text-embedding-004','content':{'parts':[{'text':'c'}]},'outputDimensionality':3}]}
                """));
        JsonNode response = adapter.embeddingsResponse(json("{'embeddings':[{'values':[0.5,1]},{'values':[2,0]}]}"),
                request, embedding);
        assertThat(reparsed(response)).isEqualTo(json("""
                {'object':'list','model':'text-embedding-004','data':[
                  {'object':'embedding','index':0,'embedding':[0.5,1]},
                  {'object':'embedding','index':1,'embedding':[2,0]}],
                 'usage':{'prompt_tokens':0,'total_tokens':0}}
                """));
    }

    @Test
    void embeddingsEncodeBase64() {
        ObjectNode request = (ObjectNode) json("{'input':'a','encoding_format':'base64'}");

        JsonNode response = adapter.embeddingsResponse(json("{'embeddings':[{'values':[1.0,-2.0]}]}"), request,
                target);

        // 1.0f is 00 00 80 3f and -2.0f is 00 00 00 c0 in little-endian float32.
        assertThat(response.at("/data/0/embedding").asText()).isEqualTo("AACAPwAAAMA=");
    }

    @Test
    void embeddingsRejectTokenArrays() {
        ObjectNode request = (ObjectNode) json("{'input':[[1,2,3]]}");

        assertThatThrownBy(() -> adapter.embeddings(request, target)).isInstanceOf(AiException.class);
    }

    @Test
    void geminiTypeIsRegistered() {
        ProviderType type = ProviderTypes.find("gemini").orElseThrow();

        assertThat(type.defaultBaseUrl()).isEqualTo(BASE);
        assertThat(type.keyRequired()).isTrue();
        Errors errors = new Errors();
        ProviderSpec spec = GoogleFixtures.gemini(null);
        type.validator().accept(spec, errors);
        assertThat(errors.isEmpty()).isTrue();
    }
}
