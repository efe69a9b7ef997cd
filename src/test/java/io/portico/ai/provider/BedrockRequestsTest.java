package io.portico.ai.provider;

import static io.portico.ai.provider.BedrockFixtures.CLAUDE;
import static io.portico.ai.provider.BedrockFixtures.PNG;
import static io.portico.ai.provider.BedrockFixtures.json;
import static io.portico.ai.provider.BedrockFixtures.keyProvider;
import static io.portico.ai.provider.BedrockFixtures.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelInfo;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BedrockRequestsTest {

    private static final CallTarget CLAUDE_TARGET = target(keyProvider(null), CLAUDE, "key");

    @Test
    void richConversation() {
        ObjectNode openAi = json("""
                {"model": "claude", "messages": [
                  {"role": "system", "content": "You are terse."},
                  {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
                  {"role": "user", "content": [
                    {"type": "text", "text": "Weather in Paris and Oslo?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,%s"}}]},
                  {"role": "assistant", "content": null,
                   "thinking_blocks": [{"type": "thinking", "thinking": "Two cities.", "signature": "sig-1"},
                                       {"type": "redacted_thinking", "data": "b3BhcXVl"}],
                   "tool_calls": [
                     {"id": "call_1", "type": "function",
                      "function": {"name": "get_weather", "arguments": "{\\"city\\":\\"Paris\\"}"}},
                     {"id": "call_2", "type": "function",
                      "function": {"name": "get_weather", "arguments": "{\\"city\\":\\"Oslo\\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_1", "content": "{\\"temp\\": 21}"},
                  {"role": "tool", "tool_call_id": "call_2", "content": "cloudy, 12 C"},
                  {"role": "user", "content": "Which is warmer?"}],
                 "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
                   "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                  "required": ["city"]}}}],
                 "tool_choice": "auto", "parallel_tool_calls": true,
                 "max_completion_tokens": 512, "max_tokens": 99, "temperature": 1.5, "top_p": 0.9, "top_k": 40,
                 "stop": ["END"], "seed": 7, "user": "u-1", "n": 1, "frequency_penalty": 0.5}
                """.formatted(PNG));

        ObjectNode converse = BedrockRequests.converse(openAi, CLAUDE_TARGET);

        assertThat(converse).isEqualTo(json("""
                {"messages": [
                  {"role": "user", "content": [
                    {"text": "Weather in Paris and Oslo?"},
                    {"image": {"format": "png", "source": {"bytes": "%s"}}}]},
                  {"role": "assistant", "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Two cities.", "signature": "sig-1"}}},
                    {"reasoningContent": {"redactedContent": "b3BhcXVl"}},
                    {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
                    {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {"city": "Oslo"}}}]},
                  {"role": "user", "content": [
                    {"toolResult": {"toolUseId": "call_1", "content": [{"json": {"temp": 21}}]}},
                    {"toolResult": {"toolUseId": "call_2", "content": [{"text": "cloudy, 12 C"}]}},
                    {"text": "Which is warmer?"}]}],
                 "system": [{"text": "You are terse."}, {"text": "Use metric units."}],
                 "inferenceConfig": {"maxTokens": 512, "temperature": 1.0, "topP": 0.9, "stopSequences": ["END"]},
                 "toolConfig": {
                   "tools": [{"toolSpec": {"name": "get_weather", "description": "Current weather",
                     "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}},
                                              "required": ["city"]}}}}],
                   "toolChoice": {"auto": {}}},
                 "additionalModelRequestFields": {"top_k": 40}}
                """.formatted(PNG)));
    }

    @Test
    void toolResultsOpenMergedUserMessage() {
        ObjectNode openAi = json("""
                {"messages": [
                  {"role": "user", "content": "Hi"},
                  {"role": "assistant", "content": "Checking.", "tool_calls": [{"id": "c1", "type": "function",
                    "function": {"name": "now", "arguments": ""}}]},
                  {"role": "user", "content": "Also, hurry."},
                  {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "12:00"}]}]}
                """);

        ObjectNode converse = BedrockRequests.converse(openAi, CLAUDE_TARGET);

        assertThat(converse.get("messages")).isEqualTo(json("""
                {"m": [
                  {"role": "user", "content": [{"text": "Hi"}]},
                  {"role": "assistant", "content": [{"text": "Checking."},
                    {"toolUse": {"toolUseId": "c1", "name": "now", "input": {}}}]},
                  {"role": "user", "content": [
                    {"toolResult": {"toolUseId": "c1", "content": [{"text": "12:00"}]}},
                    {"text": "Also, hurry."}]}]}
                """).get("m"));
        assertThat(converse.get("toolConfig")).isEqualTo(json("""
                {"tools": [{"toolSpec": {"name": "now",
                  "inputSchema": {"json": {"type": "object", "properties": {}}}}}]}
                """));
    }

    @Test
    void jsonSchemaBecomesForcedTool() {
        ObjectNode openAi = json("""
                {"messages": [{"role": "user", "content": "Name a city."}],
                 "response_format": {"type": "json_schema", "json_schema": {"name": "city",
                   "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}
                """);

        ObjectNode converse = BedrockRequests.converse(openAi, CLAUDE_TARGET);

        assertThat(converse.get("toolConfig")).isEqualTo(json("""
                {"tools": [{"toolSpec": {"name": "structured_output",
                   "description": "Returns the answer as JSON matching the schema.",
                   "inputSchema": {"json": {"type": "object", "properties": {"name": {"type": "string"}}}}}}],
                 "toolChoice": {"tool": {"name": "structured_output"}}}
                """));
    }

    @Test
    void jsonObjectAddsSystemInstruction() {
        ObjectNode openAi = json("""
                {"messages": [{"role": "user", "content": "List two colors."}],
                 "response_format": {"type": "json_object"}}
                """);

        ObjectNode converse = BedrockRequests.converse(openAi, CLAUDE_TARGET);

        assertThat(converse.get("system")).isEqualTo(json("""
                {"s": [{"text": "Respond with a single JSON object and nothing else."}]}
                """).get("s"));
    }

    @Test
    void toolChoiceRequiredAndNamed() {
        String tools = """
                "tools": [{"type": "function", "function": {"name": "a"}}]""";

        ObjectNode required = BedrockRequests.converse(json("""
                {"messages": [{"role": "user", "content": "x"}], %s, "tool_choice": "required"}
                """.formatted(tools)), CLAUDE_TARGET);
        ObjectNode named = BedrockRequests.converse(json("""
                {"messages": [{"role": "user", "content": "x"}], %s,
                 "tool_choice": {"type": "function", "function": {"name": "a"}}}
                """.formatted(tools)), CLAUDE_TARGET);

        assertThat(required.path("toolConfig").get("toolChoice")).isEqualTo(json("{\"any\": {}}"));
        assertThat(named.path("toolConfig").get("toolChoice")).isEqualTo(json("{\"tool\": {\"name\": \"a\"}}"));
    }

    @Test
    void toolChoiceNoneDropsToolsWithoutHistory() {
        ObjectNode converse = BedrockRequests.converse(json("""
                {"messages": [{"role": "user", "content": "x"}],
                 "tools": [{"type": "function", "function": {"name": "a"}}], "tool_choice": "none"}
                """), CLAUDE_TARGET);

        assertThat(converse.has("toolConfig")).isFalse();
    }

    @Test
    void toolChoiceNoneKeepsToolsForHistory() {
        ObjectNode converse = BedrockRequests.converse(json("""
                {"messages": [{"role": "user", "content": "x"},
                  {"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                    "function": {"name": "a", "arguments": "{}"}}]},
                  {"role": "tool", "tool_call_id": "c", "content": "done"}],
                 "tools": [{"type": "function", "function": {"name": "a"}}], "tool_choice": "none"}
                """), CLAUDE_TARGET);

        assertThat(converse.path("toolConfig").has("tools")).isTrue();
        assertThat(converse.path("toolConfig").has("toolChoice")).isFalse();
    }

    @Test
    void thinkingGoesToAdditionalFieldsWithLimit() {
        ModelInfo info = new ModelInfo("aws", CLAUDE, List.of(), "chat", 200_000, 64_000, Set.of(), null);
        CallTarget target = new CallTarget(keyProvider(null), BedrockAdapter.DEFAULT_BASE_URL, CLAUDE, "k", info);

        ObjectNode converse = BedrockRequests.converse(json("""
                {"messages": [{"role": "user", "content": "Think."}],
                 "thinking": {"type": "enabled", "budget_tokens": 2048}}
                """), target);

        assertThat(converse.get("inferenceConfig")).isEqualTo(json("{\"maxTokens\": 64000}"));
        assertThat(converse.get("additionalModelRequestFields")).isEqualTo(json("""
                {"thinking": {"type": "enabled", "budget_tokens": 2048}}
                """));
    }

    @Test
    void thinkingLimitWithoutCatalogEntry() {
        ObjectNode converse = BedrockRequests.converse(json("""
                {"messages": [{"role": "user", "content": "Think."}],
                 "thinking": {"type": "enabled", "budget_tokens": 2048}}
                """), CLAUDE_TARGET);

        assertThat(converse.path("inferenceConfig").path("maxTokens").asInt()).isEqualTo(2048 + 4096);
    }

    @Test
    void topKForNovaAndDroppedForOthers() {
        String body = """
                {"messages": [{"role": "user", "content": "x"}], "top_k": 20, "thinking": {"type": "enabled"}}
                """;

        ObjectNode nova = BedrockRequests.converse(json(body), target(keyProvider(null), "us.amazon.nova-pro-v1:0",
                "k"));
        ObjectNode llama = BedrockRequests.converse(json(body), target(keyProvider(null),
                "meta.llama3-70b-instruct-v1:0", "k"));

        assertThat(nova.get("additionalModelRequestFields")).isEqualTo(json("{\"inferenceConfig\": {\"topK\": 20}}"));
        assertThat(llama.has("additionalModelRequestFields")).isFalse();
        assertThat(llama.has("inferenceConfig")).isFalse();
    }

    @Test
    void stopAsStringAndBlankTextDropped() {
        ObjectNode converse = BedrockRequests.converse(json("""
                {"messages": [{"role": "system", "content": " "},
                  {"role": "user", "content": [{"type": "text", "text": ""}, {"type": "text", "text": "go"}]}],
                 "stop": "DONE"}
                """), CLAUDE_TARGET);

        assertThat(converse.has("system")).isFalse();
        assertThat(converse.get("messages")).isEqualTo(json("""
                {"m": [{"role": "user", "content": [{"text": "go"}]}]}
                """).get("m"));
        assertThat(converse.get("inferenceConfig")).isEqualTo(json("{\"stopSequences\": [\"DONE\"]}"));
    }

    @Test
    void httpsImageRejected() {
        ObjectNode openAi = json("""
                {"messages": [{"role": "user", "content": [
                  {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}
                """);

        assertThatThrownBy(() -> BedrockRequests.converse(openAi, CLAUDE_TARGET))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(400);
                    assertThat(e.error().message()).isEqualTo("this provider accepts only inline images");
                });
    }

    @Test
    void unsupportedImageTypeRejected() {
        ObjectNode openAi = json("""
                {"messages": [{"role": "user", "content": [
                  {"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AAAA"}}]}]}
                """);

        assertThatThrownBy(() -> BedrockRequests.converse(openAi, CLAUDE_TARGET))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(400);
                    assertThat(e.error().message()).startsWith("unsupported image type image/tiff");
                });
    }

    /** A conversation in the internal form that an Anthropic client with cache breakpoints and a failed tool makes. */
    private static final String BREAKPOINTS = """
            {"messages": [
              {"role": "system", "content": [
                {"type": "text", "text": "Rules.", "cache_control": {"type": "ephemeral"}}]},
              {"role": "system", "content": [{"type": "text", "text": "Today is Monday."}]},
              {"role": "user", "content": [
                {"type": "text", "text": "Long document.", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                {"type": "text", "text": "Weather?"}]},
              {"role": "assistant", "content": null, "cache_control": {"type": "ephemeral", "ttl": "10m"},
               "tool_calls": [{"id": "toolu_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{}"}}]},
              {"role": "tool", "tool_call_id": "toolu_1", "content": "Error: service down", "is_error": true,
               "cache_control": {"type": "ephemeral"}},
              {"role": "user", "content": "Try again."}],
             "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}},
                        "cache_control": {"type": "ephemeral"}}]}
            """;

    @Test
    void claudeGetsCachePointsAndErrorStatus() {
        CallTarget sonnet = target(keyProvider(null), "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "key");

        ObjectNode converse = BedrockRequests.converse(json(BREAKPOINTS), sonnet);

        assertThat(converse).isEqualTo(json("""
                {"messages": [
                  {"role": "user", "content": [
                    {"text": "Long document."}, {"cachePoint": {"type": "default", "ttl": "1h"}},
                    {"text": "Weather?"}]},
                  {"role": "assistant", "content": [
                    {"toolUse": {"toolUseId": "toolu_1", "name": "get_weather", "input": {}}},
                    {"cachePoint": {"type": "default"}}]},
                  {"role": "user", "content": [
                    {"toolResult": {"toolUseId": "toolu_1", "content": [{"text": "service down"}], "status": "error"}},
                    {"cachePoint": {"type": "default"}},
                    {"text": "Try again."}]}],
                 "system": [{"text": "Rules."}, {"cachePoint": {"type": "default"}}, {"text": "Today is Monday."}],
                 "toolConfig": {"tools": [
                   {"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object", "properties": {}}}}},
                   {"cachePoint": {"type": "default"}}]}}
                """));
    }

    @Test
    void novaGetsNoToolCachePoint() {
        CallTarget nova = target(keyProvider(null), "us.amazon.nova-pro-v1:0", "key");

        ObjectNode converse = BedrockRequests.converse(json(BREAKPOINTS), nova);

        assertThat(converse.get("system")).isEqualTo(json("""
                {"s": [{"text": "Rules."}, {"cachePoint": {"type": "default"}}, {"text": "Today is Monday."}]}
                """).get("s"));
        assertThat(converse.at("/messages/2/content")).isEqualTo(json("""
                {"c": [
                  {"toolResult": {"toolUseId": "toolu_1", "content": [{"text": "service down"}], "status": "error"}},
                  {"cachePoint": {"type": "default"}},
                  {"text": "Try again."}]}
                """).get("c"));
        assertThat(converse.at("/toolConfig/tools")).isEqualTo(json("""
                {"t": [{"toolSpec": {"name": "get_weather",
                  "inputSchema": {"json": {"type": "object", "properties": {}}}}}]}
                """).get("t"));
    }

    @Test
    void otherModelsGetNeitherField() {
        for (String model : List.of("meta.llama3-70b-instruct-v1:0", "anthropic.claude-v2:1")) {
            ObjectNode converse = BedrockRequests.converse(json(BREAKPOINTS), target(keyProvider(null), model, "k"));

            assertThat(converse.toString()).as(model).doesNotContain("cachePoint");
            assertThat(converse.at("/messages/2/content/0")).as(model).isEqualTo(json("""
                    {"toolResult": {"toolUseId": "toolu_1", "content": [{"text": "Error: service down"}]}}
                    """));
        }
    }

    @Test
    void claude35SonnetGetsStatusButNoCachePoint() {
        ObjectNode converse = BedrockRequests.converse(json(BREAKPOINTS), CLAUDE_TARGET);

        assertThat(converse.toString()).doesNotContain("cachePoint");
        assertThat(converse.at("/messages/2/content/0/toolResult/status").asText()).isEqualTo("error");
    }
}
