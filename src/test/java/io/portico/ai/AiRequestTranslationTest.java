package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests translated from one protocol to a provider of another, checked on the exact JSON each mock provider
 * receives, and the 400 errors for requests that no provider request can carry without a change of meaning.
 */
class AiRequestTranslationTest {

    private static final String CLAUDE_ON_BEDROCK = "aws/anthropic.claude-3-5-sonnet-20240620-v1:0";
    /** A JSON schema of an object with one required integer property and no other properties. */
    private static final String SCHEMA = """
            {'type':'object','properties':{'a':{'type':'integer'}},'required':['a'],'additionalProperties':false}""";

    /** The first bytes of a PNG file in base64, enough for Portico to detect the image type. */
    private static final String PNG = "iVBORw0KGgoAAAANSUhEUg==";
    /** "%PDF-1.4\n" in base64. */
    private static final String PDF = "JVBERi0xLjQK";
    /** A tool result's content with text and an image. */
    private static final String TEXT_AND_IMAGE = """
            [{'type':'text','text':'here'},
             {'type':'image','source':{'type':'base64','media_type':'image/png','data':'%s'}}]""".formatted(PNG);
    /** The id sent to Anthropic and Bedrock for Kimi K2's {@code functions.get_weather:0}. */
    private static final String KIMI_ID_0 = "functions_get_weather_0_79ac1aaab216b228";
    /** The id sent to Anthropic and Bedrock for Kimi K2's {@code functions.get_weather:1}. */
    private static final String KIMI_ID_1 = "functions_get_weather_1_26c478f3c75f4d31";
    /** An assistant message whose content is one refusal part, as OpenAI's API documents it. */
    private static final String REFUSAL_PART = """
            {'role':'assistant','content':[{'type':'refusal','refusal':'I cannot'}]}""";
    /** The description of the structured output tool when it is offered beside the client's tools. */
    private static final String OFFERED_DESCRIPTION = "Returns the final answer as JSON matching the schema. Call it"
            + " to answer, once no other tool is needed, instead of writing the answer as text.";

    private static TranslationProviders providers;

    @BeforeAll
    static void start() {
        providers = TranslationProviders.start();
    }

    @AfterAll
    static void stop() {
        providers.close();
    }

    @BeforeEach
    void clear() {
        providers.clearReceived();
    }

    private static JsonNode json(String text) {
        return AiTestClient.quotedJson(text);
    }

    @Test
    void thinkingWithoutLimitLeavesRoomAboveBudget() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'an/unlisted-model','thinking':{'type':'enabled','budget_tokens':8000},
                 'messages':[{'role':'user','content':'Hi'}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("max_tokens").asInt()).isEqualTo(8000 + 4096);
    }

    @Test
    void noThinkingNoLimitSendsDefault() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'an/unlisted-model','messages':[{'role':'user','content':'Hi'}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("max_tokens").asInt()).isEqualTo(4096);
    }

    @Test
    void bedrockThinkingSharesTheLimitRule() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'aws/us.anthropic.claude-unlisted-v1:0','thinking':{'type':'enabled','budget_tokens':2000},
                 'messages':[{'role':'user','content':'Hi'}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().path("inferenceConfig").path("maxTokens").asInt())
                .isEqualTo(2000 + 4096);
    }

    @Test
    void outputConfigFormatReachesOpenAi() {
        HttpResponse<String> response = providers.anthropicMessages("""
                {'model':'oa/gpt-4o','max_tokens':200,'messages':[{'role':'user','content':'Give JSON'}],
                 'output_config':{'format':{'type':'json_schema','schema':%s}}}""".formatted(SCHEMA));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.openAi.last().body().get("response_format")).isEqualTo(json("""
                {'type':'json_schema','json_schema':{'name':'structured_output','schema':%s}}""".formatted(SCHEMA)));
        JsonNode content = AiTestClient.json(response).get("content");
        assertThat(content.size()).isEqualTo(1);
        assertThat(content.path(0).path("type").asText()).isEqualTo("text");
        assertThat(content.path(0).path("text").asText()).isEqualTo("{\"answer\":\"42\"}");
    }

    @Test
    void outputConfigFormatReachesGemini() {
        HttpResponse<String> response = providers.anthropicMessages("""
                {'model':'ge/gemini-2.5-flash','max_tokens':200,'messages':[{'role':'user','content':'Give JSON'}],
                 'output_config':{'format':{'type':'json_schema','schema':%s}}}""".formatted(SCHEMA));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastGeminiRequest().get("generationConfig")).isEqualTo(json("""
                {'maxOutputTokens':200,'responseMimeType':'application/json','responseJsonSchema':%s}"""
                .formatted(SCHEMA)));
    }

    @Test
    void outputConfigFormatReachesBedrock() {
        HttpResponse<String> response = providers.anthropicMessages("""
                {'model':'%s','max_tokens':200,'messages':[{'role':'user','content':'Give JSON'}],
                 'output_config':{'format':{'type':'json_schema','schema':%s}}}""".formatted(CLAUDE_ON_BEDROCK,
                SCHEMA));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().get("toolConfig")).isEqualTo(json("""
                {'tools':[{'toolSpec':{'name':'structured_output',
                   'description':'Returns the answer as JSON matching the schema.','inputSchema':{'json':%s}}}],
                 'toolChoice':{'tool':{'name':'structured_output'}}}""".formatted(SCHEMA)));
    }

    @Test
    void betaOutputFormatReachesGemini() {
        HttpResponse<String> response = providers.anthropicMessages("""
                {'model':'ge/gemini-2.5-flash','max_tokens':200,'messages':[{'role':'user','content':'Give JSON'}],
                 'output_format':{'type':'json_schema','schema':%s}}""".formatted(SCHEMA));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastGeminiRequest().path("generationConfig").get("responseJsonSchema"))
                .isEqualTo(json(SCHEMA));
    }

    @Test
    void outputFormatOfOtherTypeIsRejected() {
        HttpResponse<String> response = providers.anthropicMessages("""
                {'model':'oa/gpt-4o','max_tokens':200,'messages':[{'role':'user','content':'Give JSON'}],
                 'output_config':{'format':{'type':'regex','pattern':'a+'}}}""");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText())
                .isEqualTo("output_config.format.type: Input should be 'json_schema'");
        assertThat(providers.openAi.received()).isEmpty();
    }

    /** Returns an OpenAI request for {@code model} with a JSON schema, one tool and {@code toolChoice}. */
    private static String schemaWithTool(String model, String toolChoice) {
        return """
                {'model':'%s','messages':[{'role':'user','content':'Weather?'}],
                 'response_format':{'type':'json_schema','json_schema':{'name':'ans','schema':%s}},
                 'tools':[{'type':'function','function':{'name':'get_weather','parameters':{'type':'object'}}}],
                 'tool_choice':%s}""".formatted(model, SCHEMA, toolChoice);
    }

    @Test
    void schemaWithToolsKeepsAutoChoice() {
        HttpResponse<String> response = providers.openAiChat(schemaWithTool("an/claude-sonnet-4-5", "'auto'"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode sent = providers.anthropic.last().body();
        assertThat(sent.get("tools")).isEqualTo(json("""
                [{'name':'get_weather','input_schema':{'type':'object'}},
                 {'name':'structured_output','description':'%s','input_schema':%s}]"""
                .formatted(OFFERED_DESCRIPTION, SCHEMA)));
        assertThat(sent.get("tool_choice")).isEqualTo(json("{'type':'auto'}"));
        JsonNode choice = AiTestClient.json(response).path("choices").path(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(choice.path("message").path("tool_calls").path(0).path("function").path("name").asText())
                .isEqualTo("get_weather");
    }

    @Test
    void schemaWithToolsKeepsRequiredChoice() {
        HttpResponse<String> response = providers.openAiChat(schemaWithTool("an/claude-sonnet-4-5", "'required'"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("tool_choice")).isEqualTo(json("{'type':'any'}"));
    }

    @Test
    void schemaWithToolsKeepsNamedChoice() {
        HttpResponse<String> response = providers.openAiChat(schemaWithTool("an/claude-sonnet-4-5",
                "{'type':'function','function':{'name':'get_weather'}}"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("tool_choice"))
                .isEqualTo(json("{'type':'tool','name':'get_weather'}"));
    }

    @Test
    void schemaWithNoneChoiceForcesSchemaTool() {
        HttpResponse<String> response = providers.openAiChat(schemaWithTool("an/claude-sonnet-4-5", "'none'"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("tool_choice"))
                .isEqualTo(json("{'type':'tool','name':'structured_output'}"));
        JsonNode message = AiTestClient.json(response).path("choices").path(0).path("message");
        assertThat(message.path("content").asText()).isEqualTo("{\"answer\":\"42\"}");
    }

    @Test
    void bedrockSchemaWithToolsKeepsChoice() {
        HttpResponse<String> response = providers.openAiChat(schemaWithTool(CLAUDE_ON_BEDROCK, "'required'"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().get("toolConfig")).isEqualTo(json("""
                {'tools':[{'toolSpec':{'name':'get_weather','inputSchema':{'json':{'type':'object','properties':{}}}}},
                   {'toolSpec':{'name':'structured_output','description':'%s','inputSchema':{'json':%s}}}],
                 'toolChoice':{'any':{}}}""".formatted(OFFERED_DESCRIPTION, SCHEMA)));
    }

    /**
     * Returns an Anthropic request for {@code model} whose last user turn returns the result of a {@code screenshot}
     * call, with {@code content}, a JSON array written with single quotes.
     */
    private static String toolResultRequest(String model, String content) {
        return toolResultRequest(model, content, false);
    }

    private static String toolResultRequest(String model, String content, boolean failed) {
        return """
                {'model':'%s','max_tokens':20,'messages':[{'role':'user','content':'shot'},
                  {'role':'assistant','content':[{'type':'tool_use','id':'toolu_1','name':'screenshot','input':{}}]},
                  {'role':'user','content':[{'type':'tool_result','tool_use_id':'toolu_1','is_error':%s,
                    'content':%s}]}],
                 'tools':[{'name':'screenshot','input_schema':{'type':'object'}}]}""".formatted(model, failed, content);
    }

    @Test
    void toolResultImageReachesGemini() {
        HttpResponse<String> response = providers.anthropicMessages(toolResultRequest("ge/gemini-2.5-flash",
                TEXT_AND_IMAGE));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastGeminiRequest().path("contents").path(2)).isEqualTo(json("""
                {'role':'user','parts':[{'functionResponse':{'id':'toolu_1','name':'screenshot',
                  'response':{'output':'here'},'parts':[{'inlineData':{'mimeType':'image/png','data':'%s'}}]}}]}"""
                .formatted(PNG)));
    }

    @Test
    void toolResultImageReachesBedrock() {
        HttpResponse<String> response = providers.anthropicMessages(toolResultRequest(CLAUDE_ON_BEDROCK,
                TEXT_AND_IMAGE));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().path("messages").path(2)).isEqualTo(json("""
                {'role':'user','content':[{'toolResult':{'toolUseId':'toolu_1','content':[{'text':'here'},
                  {'image':{'format':'png','source':{'bytes':'%s'}}}]}}]}""".formatted(PNG)));
    }

    @Test
    void toolResultImageToOpenAiIsRejected() {
        HttpResponse<String> response = providers.anthropicMessages(toolResultRequest("oa/gpt-4o", TEXT_AND_IMAGE));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.path("error").path("message").asText())
                .isEqualTo("content parts of type 'image_url' in tool results are not supported by provider 'oa'");
        assertThat(providers.openAi.received()).isEmpty();
    }

    @Test
    void toolResultDocumentsReachBedrock() {
        HttpResponse<String> response = providers.anthropicMessages(toolResultRequest(CLAUDE_ON_BEDROCK, """
                [{'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'%s'},
                  'title':'report.pdf'},
                 {'type':'document','source':{'type':'text','media_type':'text/plain','data':'Total: 42'}}]"""
                .formatted(PDF)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().path("messages").path(2)).isEqualTo(json("""
                {'role':'user','content':[{'toolResult':{'toolUseId':'toolu_1','content':[
                  {'document':{'format':'pdf','name':'report','source':{'bytes':'%s'}}},
                  {'text':'Total: 42'}]}}]}""".formatted(PDF)));
    }

    @Test
    void toolResultDocumentReachesGemini() {
        HttpResponse<String> response = providers.anthropicMessages(toolResultRequest("ge/gemini-2.5-flash", """
                [{'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'%s'}}]"""
                .formatted(PDF)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastGeminiRequest().path("contents").path(2)).isEqualTo(json("""
                {'role':'user','parts':[{'functionResponse':{'id':'toolu_1','name':'screenshot',
                  'response':{'output':''},'parts':[{'inlineData':{'mimeType':'application/pdf','data':'%s'}}]}}]}"""
                .formatted(PDF)));
    }

    @Test
    void toolResultSearchResultIsRejected() {
        String searchResult = """
                [{'type':'search_result','source':'http://127.0.0.1:9/a','title':'A',
                  'content':[{'type':'text','text':'found'}]}]""";
        int geminiBefore = providers.gemini.requests().size();
        int bedrockBefore = providers.bedrock.requests().size();

        HttpResponse<String> gemini = providers.anthropicMessages(toolResultRequest("ge/gemini-2.5-flash",
                searchResult));
        HttpResponse<String> bedrock = providers.anthropicMessages(toolResultRequest(CLAUDE_ON_BEDROCK,
                searchResult));

        assertThat(gemini.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(gemini).path("error").path("message").asText())
                .isEqualTo("content parts of type 'search_result' in tool results are not supported by provider 'ge'");
        assertThat(providers.gemini.requests()).hasSize(geminiBefore);
        assertThat(bedrock.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(bedrock).path("error").path("message").asText())
                .isEqualTo("content parts of type 'search_result' in tool results are not supported by provider"
                        + " 'aws'");
        assertThat(providers.bedrock.requests()).hasSize(bedrockBefore);
    }

    @Test
    void failedToolResultImageKeepsStatus() {
        HttpResponse<String> response = providers.anthropicMessages(toolResultRequest(CLAUDE_ON_BEDROCK, """
                [{'type':'text','text':'crashed'},
                 {'type':'image','source':{'type':'base64','media_type':'image/png','data':'%s'}}]"""
                .formatted(PNG), true));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().path("messages").path(2)).isEqualTo(json("""
                {'role':'user','content':[{'toolResult':{'toolUseId':'toolu_1','content':[{'text':'crashed'},
                  {'image':{'format':'png','source':{'bytes':'%s'}}}],'status':'error'}}]}""".formatted(PNG)));
    }

    /** Returns an OpenAI conversation with two parallel calls whose ids have Kimi K2's form, and their results. */
    private static String kimiConversation(String model) {
        return """
                {'model':'%s','messages':[{'role':'user','content':'Hi'},
                  {'role':'assistant','content':null,'tool_calls':[
                    {'id':'functions.get_weather:0','type':'function',
                     'function':{'name':'get_weather','arguments':'{}'}},
                    {'id':'functions.get_weather:1','type':'function',
                     'function':{'name':'get_weather','arguments':'{}'}}]},
                  {'role':'tool','tool_call_id':'functions.get_weather:0','content':'rain'},
                  {'role':'tool','tool_call_id':'functions.get_weather:1','content':'sun'}],
                 'tools':[{'type':'function','function':{'name':'get_weather','parameters':{'type':'object'}}}]}"""
                .formatted(model);
    }

    @Test
    void invalidToolIdsAreSanitizedForAnthropic() {
        HttpResponse<String> response = providers.openAiChat(kimiConversation("an/claude-sonnet-4-5"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'type':'text','text':'Hi'}]},
                 {'role':'assistant','content':[
                   {'type':'tool_use','id':'%s','name':'get_weather','input':{}},
                   {'type':'tool_use','id':'%s','name':'get_weather','input':{}}]},
                 {'role':'user','content':[
                   {'type':'tool_result','tool_use_id':'%s','content':'rain'},
                   {'type':'tool_result','tool_use_id':'%s','content':'sun'}]}]"""
                .formatted(KIMI_ID_0, KIMI_ID_1, KIMI_ID_0, KIMI_ID_1)));
    }

    @Test
    void invalidToolIdsAreSanitizedForBedrock() {
        HttpResponse<String> response = providers.openAiChat(kimiConversation(CLAUDE_ON_BEDROCK));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'text':'Hi'}]},
                 {'role':'assistant','content':[
                   {'toolUse':{'toolUseId':'%s','name':'get_weather','input':{}}},
                   {'toolUse':{'toolUseId':'%s','name':'get_weather','input':{}}}]},
                 {'role':'user','content':[
                   {'toolResult':{'toolUseId':'%s','content':[{'text':'rain'}]}},
                   {'toolResult':{'toolUseId':'%s','content':[{'text':'sun'}]}}]}]"""
                .formatted(KIMI_ID_0, KIMI_ID_1, KIMI_ID_0, KIMI_ID_1)));
    }

    @Test
    void invalidToolIdsAreSanitizedInRelays() {
        HttpResponse<String> response = providers.anthropicMessages("""
                {'model':'an/claude-sonnet-4-5','max_tokens':20,'messages':[{'role':'user','content':'Hi'},
                  {'role':'assistant','content':[
                    {'type':'tool_use','id':'functions.get_weather:0','name':'get_weather','input':{}}]},
                  {'role':'user','content':[
                    {'type':'tool_result','tool_use_id':'functions.get_weather:0','content':'rain'}]}],
                 'tools':[{'name':'get_weather','input_schema':{'type':'object'}}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode messages = providers.anthropic.last().body().get("messages");
        assertThat(messages.path(1).path("content").path(0).path("id").asText()).isEqualTo(KIMI_ID_0);
        assertThat(messages.path(2).path("content").path(0).path("tool_use_id").asText()).isEqualTo(KIMI_ID_0);
    }

    @Test
    void validToolIdsStayUnchanged() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'an/claude-sonnet-4-5','messages':[{'role':'user','content':'Hi'},
                  {'role':'assistant','content':null,'tool_calls':[
                    {'id':'call_Ab-9_x','type':'function','function':{'name':'get_weather','arguments':'{}'}}]},
                  {'role':'tool','tool_call_id':'call_Ab-9_x','content':'rain'}],
                 'tools':[{'type':'function','function':{'name':'get_weather','parameters':{'type':'object'}}}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode messages = providers.anthropic.last().body().get("messages");
        assertThat(messages.path(1).path("content").path(0).path("id").asText()).isEqualTo("call_Ab-9_x");
        assertThat(messages.path(2).path("content").path(0).path("tool_use_id").asText()).isEqualTo("call_Ab-9_x");
    }

    /** Returns an OpenAI conversation with an empty tool result and an empty text part, which OpenAI accepts. */
    private static String blankTextConversation(String model) {
        return """
                {'model':'%s','messages':[{'role':'user','content':'Hi'},
                  {'role':'assistant','content':'','tool_calls':[
                    {'id':'c1','type':'function','function':{'name':'get_time','arguments':''}}]},
                  {'role':'tool','tool_call_id':'c1','content':''},
                  {'role':'user','content':[{'type':'text','text':''},{'type':'text','text':' '},
                    {'type':'text','text':'ok'}]}],
                 'tools':[{'type':'function','function':{'name':'get_time','parameters':{'type':'object'}}}]}"""
                .formatted(model);
    }

    @Test
    void blankTextIsLeftOutForAnthropic() {
        HttpResponse<String> response = providers.openAiChat(blankTextConversation("an/claude-sonnet-4-5"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'type':'text','text':'Hi'}]},
                 {'role':'assistant','content':[{'type':'tool_use','id':'c1','name':'get_time','input':{}}]},
                 {'role':'user','content':[{'type':'tool_result','tool_use_id':'c1'},
                   {'type':'text','text':'ok'}]}]"""));
    }

    @Test
    void blankTextIsLeftOutForGemini() {
        HttpResponse<String> response = providers.openAiChat(blankTextConversation("ge/gemini-2.5-flash"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastGeminiRequest().get("contents")).isEqualTo(json("""
                [{'role':'user','parts':[{'text':'Hi'}]},
                 {'role':'model','parts':[{'functionCall':{'id':'c1','name':'get_time','args':{}}}]},
                 {'role':'user','parts':[{'functionResponse':{'id':'c1','name':'get_time','response':{'output':''}}},
                   {'text':'ok'}]}]"""));
    }

    @Test
    void emptyToolResultIsJsonForBedrock() {
        HttpResponse<String> response = providers.openAiChat(blankTextConversation(CLAUDE_ON_BEDROCK));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'text':'Hi'}]},
                 {'role':'assistant','content':[{'toolUse':{'toolUseId':'c1','name':'get_time','input':{}}}]},
                 {'role':'user','content':[{'toolResult':{'toolUseId':'c1','content':[{'json':{'output':''}}]}},
                   {'text':'ok'}]}]"""));
    }

    @Test
    void argumentsOtherThanObjectAreRejected() {
        int geminiBefore = providers.gemini.requests().size();
        int bedrockBefore = providers.bedrock.requests().size();
        List<String> targets = List.of("an/claude-sonnet-4-5", "ge/gemini-2.5-flash", CLAUDE_ON_BEDROCK);
        List<String> providerNames = List.of("an", "ge", "aws");

        for (int i = 0; i < targets.size(); i++) {
            for (String arguments : List.of("[1,2]", "{")) {
                HttpResponse<String> response = providers.openAiChat("""
                        {'model':'%s','messages':[{'role':'user','content':'Hi'},
                          {'role':'assistant','content':null,'tool_calls':[
                            {'id':'c1','type':'function','function':{'name':'get_weather','arguments':'%s'}}]},
                          {'role':'tool','tool_call_id':'c1','content':'rain'}],
                         'tools':[{'type':'function','function':{'name':'get_weather'}}]}"""
                        .formatted(targets.get(i), arguments));

                assertThat(response.statusCode()).as(targets.get(i) + " " + arguments).isEqualTo(400);
                assertThat(AiTestClient.json(response).path("error").path("message").asText())
                        .isEqualTo("the arguments of tool call 'c1' (get_weather) are not a JSON object, which"
                                + " provider '" + providerNames.get(i) + "' requires; send the complete arguments"
                                + " as a JSON object");
            }
        }
        assertThat(providers.anthropic.received()).isEmpty();
        assertThat(providers.gemini.requests()).hasSize(geminiBefore);
        assertThat(providers.bedrock.requests()).hasSize(bedrockBefore);
    }

    @Test
    void nullArgumentsMeanNoArguments() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'an/claude-sonnet-4-5','messages':[{'role':'user','content':'Hi'},
                  {'role':'assistant','content':null,'tool_calls':[
                    {'id':'c1','type':'function','function':{'name':'get_time','arguments':'null'}}]},
                  {'role':'tool','tool_call_id':'c1','content':'noon'}],
                 'tools':[{'type':'function','function':{'name':'get_time'}}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().path("messages").path(1).path("content").path(0))
                .isEqualTo(json("{'type':'tool_use','id':'c1','name':'get_time','input':{}}"));
    }

    @Test
    void systemOnlyRequestIsRejected() {
        int geminiBefore = providers.gemini.requests().size();
        int bedrockBefore = providers.bedrock.requests().size();
        List<String> targets = List.of("an/claude-sonnet-4-5", "ge/gemini-2.5-flash", CLAUDE_ON_BEDROCK);
        List<String> providerNames = List.of("an", "ge", "aws");

        for (int i = 0; i < targets.size(); i++) {
            HttpResponse<String> response = providers.openAiChat("""
                    {'model':'%s','messages':[{'role':'system','content':'only system'},
                      {'role':'user','content':' '}]}""".formatted(targets.get(i)));

            assertThat(response.statusCode()).as(targets.get(i)).isEqualTo(400);
            JsonNode error = AiTestClient.json(response).path("error");
            assertThat(error.path("param").asText()).isEqualTo("messages");
            assertThat(error.path("message").asText()).isEqualTo("messages: the request has no user or assistant"
                    + " message with content, and provider '" + providerNames.get(i) + "' requires one; system"
                    + " messages and blank text do not count");
        }
        assertThat(providers.anthropic.received()).isEmpty();
        assertThat(providers.gemini.requests()).hasSize(geminiBefore);
        assertThat(providers.bedrock.requests()).hasSize(bedrockBefore);
    }

    @Test
    void emptyAnthropicConversationIsRejected() {
        int geminiBefore = providers.gemini.requests().size();

        HttpResponse<String> response = providers.anthropicMessages("""
                {'model':'ge/gemini-2.5-flash','max_tokens':20,'system':'only system','messages':[]}""");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.path("error").path("message").asText()).startsWith("messages: the request has no user");
        assertThat(providers.gemini.requests()).hasSize(geminiBefore);
    }

    /** Returns an OpenAI conversation whose assistant turn is a refusal, given as {@code assistant}. */
    private static String refusalConversation(String model, String assistant) {
        return """
                {'model':'%s','messages':[{'role':'user','content':'x'},%s,{'role':'user','content':'why'}]}"""
                .formatted(model, assistant);
    }

    @Test
    void refusalPartReachesAnthropic() {
        HttpResponse<String> response = providers.openAiChat(refusalConversation("an/claude-sonnet-4-5",
                REFUSAL_PART));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'type':'text','text':'x'}]},
                 {'role':'assistant','content':[{'type':'text','text':'I cannot'}]},
                 {'role':'user','content':[{'type':'text','text':'why'}]}]"""));
    }

    @Test
    void refusalPartReachesGemini() {
        HttpResponse<String> response = providers.openAiChat(refusalConversation("ge/gemini-2.5-flash",
                REFUSAL_PART));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastGeminiRequest().get("contents")).isEqualTo(json("""
                [{'role':'user','parts':[{'text':'x'}]},{'role':'model','parts':[{'text':'I cannot'}]},
                 {'role':'user','parts':[{'text':'why'}]}]"""));
    }

    @Test
    void refusalPartReachesBedrock() {
        HttpResponse<String> response = providers.openAiChat(refusalConversation(CLAUDE_ON_BEDROCK, REFUSAL_PART));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'text':'x'}]},{'role':'assistant','content':[{'text':'I cannot'}]},
                 {'role':'user','content':[{'text':'why'}]}]"""));
    }

    @Test
    void refusalFieldReachesAnthropic() {
        HttpResponse<String> response = providers.openAiChat(refusalConversation("an/claude-sonnet-4-5",
                "{'role':'assistant','content':null,'refusal':'I cannot'}"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().path("messages").path(1)).isEqualTo(json("""
                {'role':'assistant','content':[{'type':'text','text':'I cannot'}]}"""));
    }
}
