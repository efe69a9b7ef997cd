package io.portico.ai.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.portico.config.ProviderSpec;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Requests to and streams from OpenAI-compatible providers, including the quirks some of them have. */
class OpenAiAdapterTest {

    private static ProviderSpec provider(String type, String apiVersion, Map<String, String> deployments) {
        return new ProviderSpec("p", type, null, null, null, null, null, apiVersion, deployments, null, null, null,
                null, null, null, null, null, null, null);
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ChatRequest request(String body) {
        ObjectNode json = json(body);
        return new ChatRequest(json, json, Protocol.OPENAI, "m", json.path("stream").asBoolean(), false);
    }

    @Test
    void mapsTheOutputLimitAndRemovesExtensions() {
        ChatRequest request = request("""
                {"model":"smart","max_tokens":50,"top_k":5,"stream":true,"thinking":{"type":"enabled"},
                 "messages":[{"role":"assistant","content":"x","reasoning_content":"r","thinking_blocks":[]}]}""");
        CallTarget openAi = new CallTarget(provider("openai", null, null), "https://api.openai.com/v1", "gpt-4o",
                "sk", null);

        ProviderCall call = new OpenAiAdapter(OpenAiDialect.OPENAI).chat(request, openAi);

        assertThat(call.url()).isEqualTo("https://api.openai.com/v1/chat/completions");
        assertThat(call.headers().get("authorization")).isEqualTo("Bearer sk");
        assertThat(Wire.parse(call.body()).toString()).isEqualTo(json("""
                {"model":"gpt-4o","stream":true,"messages":[{"role":"assistant","content":"x"}],
                 "max_completion_tokens":50,"stream_options":{"include_usage":true}}""").toString());
        ProviderCall compatible = new OpenAiAdapter(OpenAiDialect.COMPATIBLE).chat(request, openAi);
        assertThat(Wire.parse(compatible.body()).get("max_tokens").asInt()).isEqualTo(50);
        assertThat(Wire.parse(compatible.body()).get("top_k").asInt()).isEqualTo(5);
    }

    @Test
    void addressesAzureDeployments() {
        OpenAiAdapter azure = new OpenAiAdapter(new OpenAiDialect(OpenAiDialect.Auth.AZURE, "max_completion_tokens",
                true, true, true, false, true));
        CallTarget deployed = new CallTarget(provider("azure-openai", "2024-10-21", Map.of("gpt-4o", "prod gpt")),
                "https://r.openai.azure.com", "gpt-4o", "az-key", null);
        CallTarget v1 = new CallTarget(provider("azure-openai", null, null), "https://r.openai.azure.com", "gpt-4o",
                "az-key", null);

        ProviderCall call = azure.chat(request("{\"messages\":[]}"), deployed);

        assertThat(call.url()).isEqualTo(
                "https://r.openai.azure.com/openai/deployments/prod%20gpt/chat/completions?api-version=2024-10-21");
        assertThat(call.headers().get("api-key")).isEqualTo("az-key");
        assertThat(call.headers().contains("authorization")).isFalse();
        assertThat(azure.chat(request("{\"messages\":[]}"), v1).url())
                .isEqualTo("https://r.openai.azure.com/openai/v1/chat/completions");
    }

    @Test
    void normalizesToolCallsAndUsageOfQuirkyStreams() {
        CallTarget target = new CallTarget(provider("moonshot", null, null), "https://x/v1", "kimi", "k", null);
        StreamTranslator translator = new OpenAiAdapter(OpenAiDialect.COMPATIBLE)
                .chatStream(request("{\"messages\":[]}"), target);
        RecordingSink sink = new RecordingSink();
        String[] events = {
            "{\"id\":\"c\",\"model\":\"kimi\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}",
            // Both calls arrive with index 0 and their own ids, each in one piece.
            "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"look\",\"arguments\":\"{\\\"x\\\":1}\"}}]}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"b\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"time\"}}]}}]}",
            // Usage inside the choice, as Moonshot sends it, next to the finish reason.
            "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\",\"usage\":{\"prompt_tokens\":8,"
                    + "\"completion_tokens\":4,\"total_tokens\":12,\"cached_tokens\":6}}]}",
            "[DONE]",
        };
        for (String event : events) {
            translator.frame(StreamFrame.of(null, event), sink);
        }
        translator.end(sink);

        assertThat(sink.deltas).containsExactly(
                "{\"role\":\"assistant\"}",
                "{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"look\",\"arguments\":\"{\\\"x\\\":1}\"}}]}",
                "{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"time\",\"arguments\":\"\"}}]}",
                "{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]}",
                "{} finish=tool_calls");
        assertThat(sink.usage).isEqualTo(new Usage(8, 4, 6, 0, 0, false));
    }

    @Test
    void keepsEachChoiceOfAStreamApart() {
        CallTarget target = new CallTarget(provider("openai", null, null), "https://x/v1", "gpt-4o", "k", null);
        StreamTranslator translator = new OpenAiAdapter(OpenAiDialect.OPENAI)
                .chatStream(request("{\"n\":2,\"messages\":[]}"), target);
        RecordingSink sink = new RecordingSink();
        String[] events = {
            // Two choices in one chunk, then one choice per chunk, interleaved.
            "{\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                    + "\"content\":\"\"}},{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"},\"finish_reason\":null}]}",
            "{\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"look\"}}]},\"finish_reason\":null}]}",
            "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"tool_calls\"}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}",
            "[DONE]",
        };
        for (String event : events) {
            translator.frame(StreamFrame.of(null, event), sink);
        }
        translator.end(sink);

        assertThat(sink.error).isNull();
        assertThat(sink.deltas).containsExactly(
                "{\"role\":\"assistant\",\"content\":\"\"}",
                "{\"role\":\"assistant\",\"content\":\"\"} choice=1",
                "{\"content\":\"A\"}",
                "{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"look\",\"arguments\":\"\"}}]} choice=1",
                "{\"content\":\"b\"} choice=1",
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]} choice=1",
                "{} finish=tool_calls choice=1",
                "{\"content\":\"a\"}",
                "{} finish=length");
    }

    @Test
    void readsGroqUsageAndDropsUsageOnlyChunks() {
        CallTarget target = new CallTarget(provider("groq", null, null), "https://x/v1", "llama", "k", null);
        StreamTranslator translator = new OpenAiAdapter(OpenAiDialect.COMPATIBLE)
                .chatStream(request("{\"messages\":[]}"), target);
        RecordingSink sink = new RecordingSink();

        translator.frame(StreamFrame.of(null, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}"), sink);
        translator.frame(StreamFrame.of(null, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                + "\"x_groq\":{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}}"), sink);
        translator.frame(StreamFrame.of(null, "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
                + "\"completion_tokens\":1,\"total_tokens\":4}}"), sink);

        assertThat(sink.deltas).containsExactly("{\"content\":\"Hi\"}", "{} finish=stop");
        assertThat(sink.usage.inputTokens()).isEqualTo(3);
    }

    @Test
    void detectsTheRealImageType() {
        assertThat(Images.parseDataUri("data:image/jpeg;base64,iVBORw0KGgoAAAANSUhEUg==").mediaType())
                .isEqualTo("image/png");
        assertThat(Images.parseDataUri("data:image/png;base64,/9j/4AAQSkZJRgABAQ==").mediaType())
                .isEqualTo("image/jpeg");
        assertThat(Images.parseDataUri("data:image/webp;base64,UklGRiQAAABXRUJQVlA4").mediaType())
                .isEqualTo("image/webp");
        assertThat(Images.parseDataUri("https://example.com/cat.png")).isNull();
    }
}
