package io.portico.ai.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.CopiedCompletion;
import io.portico.ai.spi.Usage;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OpenAI completions copied without a tree: the bytes must be those of the tree's path, and every completion that
 * the tree's path changes or rejects must be left to it.
 */
class CompletionCopyTest {

    private static final OpenAiAdapter ADAPTER = new OpenAiAdapter(OpenAiDialect.COMPATIBLE);
    private static final CallTarget TARGET = AdapterFixtures.target("openai-compatible", "http://127.0.0.1:1/v1",
            "m", null);
    private static final ChatRequest REQUEST = AdapterFixtures.chat(AdapterFixtures.json(
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

    /** Returns the bytes that the tree's path writes for {@code body}: chatResponse's result, serialized. */
    private static String treePath(String body) {
        JsonNode tree = Wire.parse(Buffer.buffer(body));
        return Wire.json(ADAPTER.chatResponse(tree, REQUEST, TARGET)).toString(StandardCharsets.UTF_8);
    }

    private static CopiedCompletion copy(String body) {
        return ADAPTER.copyChatResponse(Buffer.buffer(body));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // The layout of the benchmark's mock provider.
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1764806400,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello!\"},"
            + "\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9,\"total_tokens\":18}}",
        // Indented, as OpenAI sends it, with usage first and details objects.
        "{\n  \"usage\": {\n    \"prompt_tokens\": 12,\n    \"completion_tokens\": 3,\n    \"total_tokens\": 15,\n"
            + "    \"prompt_tokens_details\": {\"cached_tokens\": 4},\n"
            + "    \"completion_tokens_details\": {\"reasoning_tokens\": 2}\n  },\n"
            + "  \"choices\": [\n    {\n      \"index\": 0,\n      \"message\": {\n        \"role\": \"assistant\",\n"
            + "        \"content\": \"caf\\u00e9 \\/ \\\"quoted\\\" \\t tab\",\n        \"refusal\": null\n      },\n"
            + "      \"finish_reason\": \"stop\"\n    }\n  ],\n  \"id\": \"x\"\n}\n",
        // Numbers of every kind, booleans, nested arrays and a second choice whose message is not an object.
        "{\"choices\":[{\"message\":{\"content\":\"a\",\"annotations\":[[1,2.50,-3e-7],{\"k\":true}]},"
            + "\"logprobs\":{\"content\":[{\"token\":\"a\",\"logprob\":-0.0001,\"top_logprobs\":[]}]}},"
            + "{\"message\":\"text\"},7,null],\"created\":12345678901234,\"big\":123456789012345678901234567890,"
            + "\"ratio\":1.0E10,\"flag\":false,\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":0}}",
        // Text after the completion, which the tree's reader ignores too.
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1}}"
            + " trailing text",
    })
    void copyWritesTheTreePathBytes(String body) {
        CopiedCompletion copied = copy(body);

        assertThat(copied).isNotNull();
        assertThat(copied.json().toString(StandardCharsets.UTF_8)).isEqualTo(treePath(body));
    }

    @Test
    void copyReadsTheUsage() {
        CopiedCompletion copied = copy("{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{"
                + "\"prompt_tokens\":12,\"completion_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":4},"
                + "\"completion_tokens_details\":{\"reasoning_tokens\":2}}}");

        assertThat(copied).isNotNull();
        assertThat(copied.usage()).isEqualTo(new Usage(12, 3, 4, 0, 2, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // Not an object, or not JSON.
        "[1,2]",
        "",
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":2",
        // Repeated keys at the top, in a choice, in a message, in usage and deeper down.
        "{\"id\":\"a\",\"id\":\"b\",\"choices\":[{\"message\":{}}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[{\"index\":0,\"index\":1,\"message\":{}}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[{\"message\":{\"role\":\"a\",\"role\":\"b\"}}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[{\"message\":{}}],\"usage\":{\"prompt_tokens\":1,\"prompt_tokens\":2}}",
        "{\"choices\":[{\"message\":{\"x\":[{\"k\":1,\"k\":2}]}}],\"usage\":{\"prompt_tokens\":1}}",
        // Usage that the tree's path looks for elsewhere or estimates.
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":null}",
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0}}",
        "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"x_groq\":{\"usage\":{\"prompt_tokens\":5}}}",
        // Fields that chatResponse removes or completes.
        "{\"choices\":[{\"message\":{\"content\":\"x\"},\"usage\":{}}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{\"name\":\"f\"}}]}}],"
            + "\"usage\":{\"prompt_tokens\":1}}",
        // Completions without a first message object, which the exchange rejects.
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[{\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[{\"message\":\"text\"}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[\"text\"],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":{\"message\":{}},\"usage\":{\"prompt_tokens\":1}}",
        "{\"usage\":{\"prompt_tokens\":1}}",
    })
    void copyLeavesOtherBodiesToTheTree(String body) {
        assertThat(copy(body)).isNull();
    }

    @Test
    void copyLeavesDeepNestingToTheTree() {
        String deep = "[".repeat(CompletionCopy.MAX_DEPTH + 1) + "]".repeat(CompletionCopy.MAX_DEPTH + 1);

        assertThat(copy("{\"choices\":[{\"message\":{\"x\":" + deep + "}}],\"usage\":{\"prompt_tokens\":1}}"))
                .isNull();
    }

    @Test
    void copyLeavesLargeObjectsToTheTree() {
        StringBuilder keys = new StringBuilder();
        for (int i = 0; i <= CompletionCopy.MAX_KEYS; i++) {
            keys.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
        }

        assertThat(copy("{\"choices\":[{\"message\":{" + keys + "}}],\"usage\":{\"prompt_tokens\":1}}")).isNull();
    }

    @Test
    void copyReadsABufferSlice() {
        String body = "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":2}}";
        Buffer padded = Buffer.buffer("xx" + body + "yy");

        CopiedCompletion copied = ADAPTER.copyChatResponse(padded.slice(2, 2 + body.length()));

        assertThat(copied).isNotNull();
        assertThat(copied.json().toString(StandardCharsets.UTF_8)).isEqualTo(treePath(body));
    }
}
