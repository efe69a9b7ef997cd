package io.portico.ai.provider;

import static io.portico.ai.provider.BedrockFixtures.CLAUDE;
import static io.portico.ai.provider.BedrockFixtures.SECRET;
import static io.portico.ai.provider.BedrockFixtures.json;
import static io.portico.ai.provider.BedrockFixtures.keyProvider;
import static io.portico.ai.provider.BedrockFixtures.request;
import static io.portico.ai.provider.BedrockFixtures.signedProvider;
import static io.portico.ai.provider.BedrockFixtures.target;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.EventStreamWriter;
import io.portico.ai.provider.BedrockFixtures.RecordingSink;
import io.portico.ai.provider.aws.SigV4Signer;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.FrameParser;
import io.portico.config.Errors;
import io.portico.config.FieldError;
import io.portico.config.ProviderSpec;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class BedrockAdapterTest {

    private static final Instant NOW = Instant.parse("2024-05-01T08:00:00Z");
    private static final BedrockAdapter ADAPTER = new BedrockAdapter(Clock.fixed(NOW, ZoneOffset.UTC));
    private static final String SIMPLE = """
            {"model": "claude", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 64}""";

    @Test
    void signedCallToRegionalEndpoint() {
        ProviderCall call = ADAPTER.chat(request(SIMPLE), target(signedProvider(null, null), CLAUDE, null));

        assertThat(call.method()).isEqualTo(HttpMethod.POST);
        assertThat(call.url()).isEqualTo("https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                + "anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
        assertThat(json(call.body().toString())).isEqualTo(json("""
                {"messages": [{"role": "user", "content": [{"text": "Hello"}]}],
                 "inferenceConfig": {"maxTokens": 64}}
                """));
        assertThat(call.headers().get("content-type")).isEqualTo("application/json");
        assertThat(call.headers().get("x-amz-date")).isEqualTo("20240501T080000Z");
        assertThat(call.headers().contains("x-amz-security-token")).isFalse();
        String canonicalRequest = """
                POST
                /model/anthropic.claude-3-5-sonnet-20240620-v1%%253A0/converse

                content-type:application/json
                host:bedrock-runtime.us-east-1.amazonaws.com
                x-amz-date:20240501T080000Z

                content-type;host;x-amz-date
                %s""".formatted(SigV4Signer.sha256Hex(call.body().getBytes()));
        String signature = SigV4Signer.signature(
                SigV4Signer.signingKey(SECRET, "20240501", "us-east-1", "bedrock"),
                SigV4Signer.stringToSign("20240501T080000Z", "20240501/us-east-1/bedrock/aws4_request",
                        canonicalRequest));
        assertThat(call.headers().get("authorization")).isEqualTo("AWS4-HMAC-SHA256 "
                + "Credential=AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, Signature=" + signature);
    }

    @Test
    void streamCallWithSessionTokenAndBaseUrl() {
        ChatRequest request = request(SIMPLE.replace("\"max_tokens\": 64", "\"stream\": true"));

        ProviderCall call = ADAPTER.chat(request, target(signedProvider("http://127.0.0.1:8123", "session-1"),
                "us.anthropic.claude-3-7-sonnet-20250219-v1:0", null));

        assertThat(call.url()).isEqualTo(
                "http://127.0.0.1:8123/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream");
        assertThat(call.headers().get("x-amz-security-token")).isEqualTo("session-1");
        assertThat(call.headers().get("authorization"))
                .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, ");
        assertThat(json(call.body().toString()).has("stream")).isFalse();
    }

    @Test
    void arnModelIdIsOneSegment() {
        String arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";

        ProviderCall call = ADAPTER.chat(request(SIMPLE), target(keyProvider(null), arn, "bedrock-api-key"));

        assertThat(call.url()).isEqualTo("https://bedrock-runtime.us-west-2.amazonaws.com/model/"
                + "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3/converse");
    }

    @Test
    void apiKeySentAsBearer() {
        ProviderCall call = ADAPTER.chat(request(SIMPLE), target(keyProvider(null), CLAUDE, "bedrock-api-key"));

        assertThat(call.headers().get("authorization")).isEqualTo("Bearer bedrock-api-key");
        assertThat(call.headers().contains("x-amz-date")).isFalse();
    }

    @Test
    void responseWithReasoningTextAndToolCall() {
        ObjectNode body = json("""
                {"output": {"message": {"role": "assistant", "content": [
                   {"reasoningContent": {"reasoningText": {"text": "Compare.", "signature": "sig-9"}}},
                   {"text": "Paris is warmer."},
                   {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Rome"}}}]}},
                 "stopReason": "tool_use",
                 "usage": {"inputTokens": 100, "outputTokens": 20, "totalTokens": 420,
                           "cacheReadInputTokens": 200, "cacheWriteInputTokens": 100},
                 "metrics": {"latencyMs": 321}}
                """);

        ObjectNode response = ADAPTER.chatResponse(body, request(SIMPLE), target(keyProvider(null), CLAUDE, "k"));

        assertThat(response.path("id").asText()).startsWith("chatcmpl-");
        assertThat(response.path("created").asLong()).isPositive();
        response.remove("id");
        response.remove("created");
        // Reparsed so that long and int numbers compare equal.
        assertThat(json(response.toString())).isEqualTo(json("""
                {"object": "chat.completion", "model": "%s",
                 "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                   "role": "assistant", "content": "Paris is warmer.", "reasoning_content": "Compare.",
                   "thinking_blocks": [{"type": "thinking", "thinking": "Compare.", "signature": "sig-9"}],
                   "tool_calls": [{"id": "tooluse_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\\"city\\":\\"Rome\\"}"}}]}}],
                 "usage": {"prompt_tokens": 400, "completion_tokens": 20, "total_tokens": 420,
                   "prompt_tokens_details": {"cached_tokens": 200, "cache_write_tokens": 100},
                   "completion_tokens_details": {"reasoning_tokens": 0}}}
                """.formatted(CLAUDE)));
    }

    @Test
    void responseWithOnlyToolCallHasNullContent() {
        ObjectNode body = json("""
                {"output": {"message": {"role": "assistant", "content": [
                   {"toolUse": {"toolUseId": "t", "name": "now", "input": {}}}]}},
                 "stopReason": "tool_use", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}}
                """);

        ObjectNode message = (ObjectNode) ADAPTER.chatResponse(body, request(SIMPLE),
                target(keyProvider(null), CLAUDE, "k")).path("choices").path(0).path("message");

        assertThat(message.get("content").isNull()).isTrue();
        assertThat(message.path("tool_calls").path(0).path("function").path("arguments").asText()).isEqualTo("{}");
    }

    @Test
    void structuredOutputResponseBecomesContent() {
        ChatRequest request = request("""
                {"model": "claude", "messages": [{"role": "user", "content": "City?"}],
                 "response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": {}}}}
                """);
        ObjectNode body = json("""
                {"output": {"message": {"role": "assistant", "content": [
                   {"toolUse": {"toolUseId": "t", "name": "structured_output", "input": {"name": "Lyon"}}}]}},
                 "stopReason": "tool_use", "usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12}}
                """);

        ObjectNode choice = (ObjectNode) ADAPTER.chatResponse(body, request, target(keyProvider(null), CLAUDE, "k"))
                .path("choices").path(0);

        assertThat(choice.path("message").path("content").asText()).isEqualTo("{\"name\":\"Lyon\"}");
        assertThat(choice.path("message").has("tool_calls")).isFalse();
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void guardrailResponseIsContentFilter() {
        ObjectNode body = json("""
                {"output": {"message": {"role": "assistant", "content": [{"text": "Sorry, blocked."}]}},
                 "stopReason": "guardrail_intervened",
                 "usage": {"inputTokens": 9, "outputTokens": 3, "totalTokens": 12}}
                """);

        ObjectNode response = ADAPTER.chatResponse(body, request(SIMPLE), target(keyProvider(null), CLAUDE, "k"));

        assertThat(response.path("choices").path(0).path("finish_reason").asText()).isEqualTo("content_filter");
    }

    @Test
    void streamWithReasoningParallelToolsAndUsage() {
        RecordingSink sink = translate(request(SIMPLE),
                EventStreamWriter.event("messageStart", "{\"role\":\"assistant\",\"p\":\"abc\"}"),
                delta(0, "{\"reasoningContent\":{\"text\":\"Two calls.\"}}"),
                delta(0, "{\"reasoningContent\":{\"signature\":\"sig-2\"}}"),
                EventStreamWriter.event("contentBlockStop", "{\"contentBlockIndex\":0}"),
                delta(1, "{\"text\":\"Checking.\"}"),
                EventStreamWriter.event("contentBlockStop", "{\"contentBlockIndex\":1}"),
                toolStart(2, "tu_a", "get_weather"),
                delta(2, "{\"toolUse\":{\"input\":\"{\\\"city\\\":\"}}"),
                delta(2, "{\"toolUse\":{\"input\":\"\\\"Paris\\\"}\"}}"),
                EventStreamWriter.event("contentBlockStop", "{\"contentBlockIndex\":2}"),
                toolStart(3, "tu_b", "now"),
                EventStreamWriter.event("contentBlockStop", "{\"contentBlockIndex\":3}"),
                EventStreamWriter.event("messageStop", "{\"stopReason\":\"tool_use\"}"),
                EventStreamWriter.event("metadata", """
                        {"usage":{"inputTokens":50,"outputTokens":30,"totalTokens":90,"cacheReadInputTokens":10,
                        "cacheWriteInputTokens":0},"metrics":{"latencyMs":900}}"""));

        assertThat(sink.deltas()).containsExactly(
                "{\"role\":\"assistant\",\"content\":\"\"}",
                "{\"reasoning_content\":\"Two calls.\"}",
                "{\"thinking_blocks\":[{\"type\":\"thinking\",\"thinking\":\"Two calls.\",\"signature\":\"sig-2\"}]}",
                "{\"content\":\"Checking.\"}",
                "{\"tool_calls\":[{\"index\":0,\"id\":\"tu_a\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}",
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}",
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}",
                "{\"tool_calls\":[{\"index\":1,\"id\":\"tu_b\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"now\",\"arguments\":\"\"}}]}",
                "{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]}",
                "finish:tool_calls");
        assertThat(sink.usage).isEqualTo(new Usage(60, 30, 10, 0, 0, false));
        assertThat(sink.errors).isEmpty();
        ObjectNode first = sink.chunks.get(0);
        assertThat(first.path("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.path("model").asText()).isEqualTo(CLAUDE);
        assertThat(sink.chunks).allSatisfy(chunk -> assertThat(chunk.path("id")).isEqualTo(first.path("id")));
    }

    @Test
    void streamGuardrailStopIsContentFilter() {
        RecordingSink sink = translate(request(SIMPLE),
                EventStreamWriter.event("messageStart", "{\"role\":\"assistant\"}"),
                delta(0, "{\"text\":\"I can't\"}"),
                EventStreamWriter.event("contentBlockStop", "{\"contentBlockIndex\":0}"),
                EventStreamWriter.event("messageStop", "{\"stopReason\":\"guardrail_intervened\"}"));

        assertThat(sink.deltas()).containsExactly(
                "{\"role\":\"assistant\",\"content\":\"\"}",
                "{\"content\":\"I can't\"}",
                "finish:content_filter");
    }

    @Test
    void streamStructuredOutputBecomesText() {
        ChatRequest request = request("""
                {"model": "claude", "stream": true, "messages": [{"role": "user", "content": "City?"}],
                 "response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": {}}}}
                """);

        RecordingSink sink = translate(request,
                EventStreamWriter.event("messageStart", "{\"role\":\"assistant\"}"),
                toolStart(0, "t1", "structured_output"),
                delta(0, "{\"toolUse\":{\"input\":\"{\\\"name\\\":\"}}"),
                delta(0, "{\"toolUse\":{\"input\":\"\\\"Lyon\\\"}\"}}"),
                EventStreamWriter.event("contentBlockStop", "{\"contentBlockIndex\":0}"),
                EventStreamWriter.event("messageStop", "{\"stopReason\":\"tool_use\"}"));

        assertThat(sink.deltas()).containsExactly(
                "{\"role\":\"assistant\",\"content\":\"\"}",
                "{\"content\":\"{\\\"name\\\":\"}",
                "{\"content\":\"\\\"Lyon\\\"}\"}",
                "finish:stop");
    }

    @Test
    void streamExceptionFailsSink() {
        RecordingSink sink = translate(request(SIMPLE),
                EventStreamWriter.event("messageStart", "{\"role\":\"assistant\"}"),
                delta(0, "{\"text\":\"Hel\"}"),
                EventStreamWriter.exception("throttlingException",
                        "{\"message\":\"Too many tokens, please wait before trying again.\"}"));

        assertThat(sink.errors).containsExactly(new AiError(429, "rate_limit_error", "ThrottlingException",
                "provider: Too many tokens, please wait before trying again.", -1));
    }

    @Test
    void streamModelErrorIsProviderFailure() {
        RecordingSink sink = translate(request(SIMPLE), EventStreamWriter.exception("modelStreamErrorException",
                "{\"message\":\"The model failed\",\"originalStatusCode\":500}"));

        assertThat(sink.errors).containsExactly(new AiError(502, "api_error", "ModelStreamErrorException",
                "provider: The model failed", -1));
        assertThat(sink.errors.get(0).anthropicType()).isEqualTo("api_error");
    }

    @Test
    void errorFromHeaderAndBody() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .set("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/")
                .set("retry-after", "2");

        AiError error = ADAPTER.error(429, headers,
                Buffer.buffer("{\"message\":\"Too many requests, please wait before trying again.\"}"));

        assertThat(error).isEqualTo(new AiError(429, "rate_limit_error", "ThrottlingException",
                "provider: Too many requests, please wait before trying again.", 2000));
    }

    @Test
    void errorWithCapitalMessageAndType() {
        AiError error = ADAPTER.error(403, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer(
                "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"Message\":\"Not authorized\"}"));

        assertThat(error).isEqualTo(new AiError(403, "permission_error", "AccessDeniedException",
                "provider: Not authorized", -1));
    }

    @Test
    void errorWithoutBody() {
        AiError error = ADAPTER.error(500, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer());

        assertThat(error).isEqualTo(new AiError(500, "api_error", null, "provider: no error details", -1));
    }

    @Test
    void finishReasonsFromBedrock() {
        assertThat(FinishReasons.fromBedrock("end_turn")).isEqualTo("stop");
        assertThat(FinishReasons.fromBedrock("stop_sequence")).isEqualTo("stop");
        assertThat(FinishReasons.fromBedrock("tool_use")).isEqualTo("tool_calls");
        assertThat(FinishReasons.fromBedrock("max_tokens")).isEqualTo("length");
        assertThat(FinishReasons.fromBedrock("model_context_window_exceeded")).isEqualTo("length");
        assertThat(FinishReasons.fromBedrock("guardrail_intervened")).isEqualTo("content_filter");
        assertThat(FinishReasons.fromBedrock("content_filtered")).isEqualTo("content_filter");
        assertThat(FinishReasons.fromBedrock(null)).isEqualTo("stop");
    }

    @Test
    void validatorAcceptsKeysOrAccessKeys() {
        assertThat(errors(signedProvider(null, "token"))).isEmpty();
        assertThat(errors(keyProvider(null))).isEmpty();
    }

    @Test
    void validatorRequiresRegionAndCredentials() {
        ProviderSpec spec = new ProviderSpec("aws", "bedrock", null, null, null, null, null, null, null, null,
                null, "AKID", null, null, null, null, null, null, null);

        assertThat(errors(spec)).extracting(FieldError::field).containsExactly("region", "secretAccessKey");
    }

    @Test
    void validatorRejectsMissingCredentialsAndBadRegion() {
        ProviderSpec spec = new ProviderSpec("aws", "bedrock", null, null, null, null, null, null, null,
                "evil.example.com/", null, null, null, "token", null, null, null, null, null);

        assertThat(errors(spec)).extracting(FieldError::field)
                .containsExactly("region", "sessionToken", "accessKeyId");
    }

    @Test
    void registeredAsBedrock() {
        assertThat(ProviderTypes.find("bedrock")).hasValueSatisfying(type -> {
            assertThat(type.defaultBaseUrl()).isEqualTo("https://bedrock-runtime.{region}.amazonaws.com");
            assertThat(type.keyRequired()).isFalse();
        });
        assertThat(ADAPTER.acceptsImageUrl("https://example.test/cat.png")).isFalse();
    }

    private static List<FieldError> errors(ProviderSpec spec) {
        Errors errors = new Errors();
        BedrockAdapter.validate(spec, errors);
        return errors.list();
    }

    private static Buffer delta(int block, String delta) {
        return EventStreamWriter.event("contentBlockDelta",
                "{\"contentBlockIndex\":" + block + ",\"delta\":" + delta + ",\"p\":\"abcdef\"}");
    }

    private static Buffer toolStart(int block, String id, String name) {
        return EventStreamWriter.event("contentBlockStart", "{\"contentBlockIndex\":" + block
                + ",\"start\":{\"toolUse\":{\"toolUseId\":\"" + id + "\",\"name\":\"" + name + "\"}}}");
    }

    /** Runs encoded events through the AWS event stream parser and the adapter's translator. */
    private static RecordingSink translate(ChatRequest request, Buffer... events) {
        StreamTranslator translator = ADAPTER.chatStream(request, target(keyProvider(null), CLAUDE, "k"));
        FrameParser parser = FrameParser.create(Framing.AWS_EVENT_STREAM);
        RecordingSink sink = new RecordingSink();
        for (Buffer event : events) {
            parser.feed(event, frame -> translator.frame(frame, sink));
        }
        parser.end(frame -> translator.frame(frame, sink));
        translator.end(sink);
        return sink;
    }
}
