package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
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
}
