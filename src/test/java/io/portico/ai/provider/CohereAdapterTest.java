package io.portico.ai.provider;

import static io.portico.ai.provider.AdapterFixtures.chat;
import static io.portico.ai.provider.AdapterFixtures.json;
import static io.portico.ai.provider.AdapterFixtures.reparse;
import static io.portico.ai.provider.AdapterFixtures.target;
import static io.portico.ai.provider.AdapterFixtures.translate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import org.junit.jupiter.api.Test;

class CohereAdapterTest {

    /** The first bytes of a PNG file, declared below as JPEG to check that the real type wins. */
    static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB";

    private final CohereAdapter adapter = new CohereAdapter();
    private final CallTarget target = target("cohere", "https://api.cohere.com/v2", "command-a-03-2025", "co-key");

    @Test
    void chatRequestTranslatesRichConversation() {
        ObjectNode request = json("""
                {'model': 'cohere/command-a', 'stream': true, 'temperature': 0.2, 'top_p': 0.9, 'top_k': 40,
                 'max_completion_tokens': 300, 'stop': 'END', 'seed': 7, 'user': 'u-1', 'n': 1,
                 'frequency_penalty': 0.1, 'parallel_tool_calls': true, 'tool_choice': 'required',
                 'response_format': {'type': 'json_schema',
                   'json_schema': {'name': 'weather', 'schema': {'type': 'object'}}},
                 'messages': [
                   {'role': 'system', 'content': 'Be brief.'},
                   {'role': 'developer', 'content': [{'type': 'text', 'text': 'Use metric units.'}]},
                   {'role': 'user', 'content': [{'type': 'text', 'text': 'Weather here and there?'},
                     {'type': 'image_url', 'image_url': {'url': 'data:image/jpeg;base64,%s'}},
                     {'type': 'image_url', 'image_url': {'url': 'https://example.com/a.png', 'detail': 'low'}}]},
                   {'role': 'assistant', 'content': 'I will look both up.', 'tool_calls': [
                     {'id': 'call_a', 'type': 'function',
                       'function': {'name': 'weather', 'arguments': '{`city`:`Paris`}'}},
                     {'id': 'call_b', 'type': 'function', 'function': {'name': 'time', 'arguments': ''}}]},
                   {'role': 'tool', 'tool_call_id': 'call_a', 'content': '18C'},
                   {'role': 'tool', 'tool_call_id': 'call_b', 'content': [{'type': 'text', 'text': '12:00'}]},
                   {'role': 'assistant', 'content': 'Paris is 18C at noon.'},
                   {'role': 'user', 'content': 'Thanks'}],
                 'tools': [
                   {'type': 'function', 'function': {'name': 'weather', 'description': 'Weather of a city',
                     'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}}}},
                   {'type': 'function', 'function': {'name': 'time', 'strict': true}}]}
                """.formatted(PNG));

        ProviderCall call = adapter.chat(chat(request), target);

        assertThat(call.method()).isEqualTo(HttpMethod.POST);
        assertThat(call.url()).isEqualTo("https://api.cohere.com/v2/chat");
        assertThat(call.headers().get("authorization")).isEqualTo("Bearer co-key");
        assertThat(call.headers().get("content-type")).isEqualTo("application/json");
        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json("""
                {'model': 'command-a-03-2025',
                 'messages': [
                   {'role': 'system', 'content': 'Be brief.'},
                   {'role': 'system', 'content': 'Use metric units.'},
                   {'role': 'user', 'content': [{'type': 'text', 'text': 'Weather here and there?'},
                     {'type': 'image_url', 'image_url': {'url': 'data:image/png;base64,%s'}},
                     {'type': 'image_url', 'image_url': {'url': 'https://example.com/a.png', 'detail': 'low'}}]},
                   {'role': 'assistant', 'tool_plan': 'I will look both up.', 'tool_calls': [
                     {'id': 'call_a', 'type': 'function',
                       'function': {'name': 'weather', 'arguments': '{`city`:`Paris`}'}},
                     {'id': 'call_b', 'type': 'function', 'function': {'name': 'time', 'arguments': '{}'}}]},
                   {'role': 'tool', 'tool_call_id': 'call_a', 'content': '18C'},
                   {'role': 'tool', 'tool_call_id': 'call_b', 'content': [{'type': 'text', 'text': '12:00'}]},
                   {'role': 'assistant', 'content': 'Paris is 18C at noon.'},
                   {'role': 'user', 'content': 'Thanks'}],
                 'max_tokens': 300, 'temperature': 0.2, 'p': 0.9, 'k': 40, 'seed': 7, 'frequency_penalty': 0.1,
                 'stop_sequences': ['END'],
                 'response_format': {'type': 'json_object', 'json_schema': {'type': 'object'}},
                 'tools': [
                   {'type': 'function', 'function': {'name': 'weather', 'description': 'Weather of a city',
                     'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}}}},
                   {'type': 'function', 'function': {'name': 'time',
                     'parameters': {'type': 'object', 'properties': {}}}}],
                 'strict_tools': true, 'tool_choice': 'REQUIRED', 'stream': true}
                """.formatted(PNG)));
    }

    @Test
    void namedToolChoiceKeepsOnlyThatTool() {
        ObjectNode request = json("""
                {'messages': [{'role': 'user', 'content': 'Hi'}], 'max_tokens': 10,
                 'response_format': {'type': 'json_object'},
                 'thinking': {'type': 'enabled', 'budget_tokens': 2048},
                 'tool_choice': {'type': 'function', 'function': {'name': 'b'}},
                 'tools': [{'type': 'function', 'function': {'name': 'a'}},
                           {'type': 'function', 'function': {'name': 'b'}}]}
                """);

        ObjectNode body = (ObjectNode) Wire.parse(adapter.chat(chat(request), target).body());

        assertThat(reparse(body)).isEqualTo(json("""
                {'model': 'command-a-03-2025', 'messages': [{'role': 'user', 'content': 'Hi'}], 'max_tokens': 10,
                 'response_format': {'type': 'json_object'},
                 'tools': [{'type': 'function', 'function': {'name': 'b',
                   'parameters': {'type': 'object', 'properties': {}}}}],
                 'tool_choice': 'REQUIRED', 'thinking': {'type': 'enabled', 'token_budget': 2048},
                 'stream': false}
                """));
    }

    @Test
    void chatRequestRejectsAudioParts() {
        ObjectNode request = json("""
                {'messages': [{'role': 'user', 'content': [{'type': 'input_audio',
                  'input_audio': {'data': 'AAAA', 'format': 'wav'}}]}]}
                """);

        assertThatThrownBy(() -> adapter.chat(chat(request), target))
                .isInstanceOfSatisfying(AiException.class, e -> assertThat(e.error().status()).isEqualTo(400));
    }

    @Test
    void responseTranslatesToolCallsAndUsage() {
        ObjectNode body = json("""
                {'id': 'c-1', 'finish_reason': 'TOOL_CALL',
                 'message': {'role': 'assistant', 'tool_plan': 'I will check the weather.',
                   'content': [{'type': 'thinking', 'thinking': 'Needs a tool.'}],
                   'tool_calls': [
                     {'id': 'weather_1', 'type': 'function',
                       'function': {'name': 'weather', 'arguments': '{`city`:`Oslo`}'}},
                     {'id': 'time_2', 'type': 'function', 'function': {'name': 'time', 'arguments': ''}}]},
                 'usage': {'billed_units': {'input_tokens': 20, 'output_tokens': 9},
                           'tokens': {'input_tokens': 210, 'output_tokens': 15}}}
                """);

        ObjectNode response = adapter.chatResponse(body, chat(json("{}")), target);
        response.put("created", 0);

        assertThat(reparse(response)).isEqualTo(json("""
                {'id': 'c-1', 'object': 'chat.completion', 'created': 0, 'model': 'command-a-03-2025',
                 'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': 'I will check the weather.',
                   'reasoning_content': 'Needs a tool.',
                   'tool_calls': [
                     {'id': 'weather_1', 'type': 'function',
                       'function': {'name': 'weather', 'arguments': '{`city`:`Oslo`}'}},
                     {'id': 'time_2', 'type': 'function', 'function': {'name': 'time', 'arguments': '{}'}}]},
                   'finish_reason': 'tool_calls'}],
                 'usage': {'prompt_tokens': 20, 'completion_tokens': 9, 'total_tokens': 29,
                   'prompt_tokens_details': {'cached_tokens': 0},
                   'completion_tokens_details': {'reasoning_tokens': 0}}}
                """));
    }

    @Test
    void responseMapsFinishReasons() {
        assertThat(FinishReasons.fromCohere("COMPLETE")).isEqualTo("stop");
        assertThat(FinishReasons.fromCohere("STOP_SEQUENCE")).isEqualTo("stop");
        assertThat(FinishReasons.fromCohere("MAX_TOKENS")).isEqualTo("length");
        assertThat(FinishReasons.fromCohere("TOOL_CALL")).isEqualTo("tool_calls");
        assertThat(FinishReasons.fromCohere("TIMEOUT")).isEqualTo("stop");
    }

    @Test
    void usageFallsBackToTokenCounts() {
        Usage usage = CohereAdapter.usage(json("{'tokens': {'input_tokens': 5, 'output_tokens': 3}}"));

        assertThat(usage.inputTokens()).isEqualTo(5);
        assertThat(usage.outputTokens()).isEqualTo(3);
    }

    @Test
    void streamTranslatesToolCallsAndUsage() {
        List<StreamFrame> events = List.of(
                event("message-start", "{'id': 's-1', 'type': 'message-start', 'delta': {'message': {"
                        + "'role': 'assistant', 'content': [], 'tool_plan': '', 'tool_calls': [], 'citations': []}}}"),
                event("tool-plan-delta",
                        "{'type': 'tool-plan-delta', 'delta': {'message': {'tool_plan': 'Checking.'}}}"),
                event("tool-call-start", "{'type': 'tool-call-start', 'index': 0, 'delta': {'message': {'tool_calls':"
                        + " {'id': 'weather_x', 'type': 'function',"
                        + " 'function': {'name': 'weather', 'arguments': ''}}}}}"),
                event("tool-call-delta", "{'type': 'tool-call-delta', 'index': 0, 'delta': {'message': {'tool_calls':"
                        + " {'function': {'arguments': '{`city`: '}}}}}"),
                event("tool-call-delta", "{'type': 'tool-call-delta', 'index': 0, 'delta': {'message': {'tool_calls':"
                        + " {'function': {'arguments': '`Oslo`}'}}}}}"),
                event("tool-call-end", "{'type': 'tool-call-end', 'index': 0}"),
                event("tool-call-start", "{'type': 'tool-call-start', 'index': 1, 'delta': {'message': {'tool_calls':"
                        + " {'id': 'time_y', 'type': 'function', 'function': {'name': 'time', 'arguments': ''}}}}}"),
                event("tool-call-end", "{'type': 'tool-call-end', 'index': 1}"),
                event("message-end", "{'type': 'message-end', 'delta': {'finish_reason': 'TOOL_CALL', 'usage': {"
                        + "'billed_units': {'input_tokens': 31, 'output_tokens': 12},"
                        + " 'tokens': {'input_tokens': 300, 'output_tokens': 12}}}}"));

        AdapterFixtures.Recording recording = translate(adapter.chatStream(chat(json("{}")), target), events);

        assertThat(recording.deltas()).containsExactly(
                json("{'role': 'assistant', 'content': ''}"),
                json("{'content': 'Checking.'}"),
                json("{'tool_calls': [{'index': 0, 'id': 'weather_x', 'type': 'function',"
                        + " 'function': {'name': 'weather', 'arguments': ''}}]}"),
                json("{'tool_calls': [{'index': 0, 'function': {'arguments': '{`city`: '}}]}"),
                json("{'tool_calls': [{'index': 0, 'function': {'arguments': '`Oslo`}'}}]}"),
                json("{'tool_calls': [{'index': 1, 'id': 'time_y', 'type': 'function',"
                        + " 'function': {'name': 'time', 'arguments': ''}}]}"),
                json("{'tool_calls': [{'index': 1, 'function': {'arguments': '{}'}}]}"),
                json("{}"));
        assertThat(recording.chunks.get(0).path("id").asText()).isEqualTo("s-1");
        assertThat(Wire.parse(recording.arguments(0)).path("city").asText()).isEqualTo("Oslo");
        assertThat(recording.finishReason()).isEqualTo("tool_calls");
        assertThat(recording.usage.inputTokens()).isEqualTo(31);
        assertThat(recording.usage.outputTokens()).isEqualTo(12);
        assertThat(recording.error).isNull();
    }

    @Test
    void streamTranslatesTextThinkingAndLength() {
        List<StreamFrame> events = List.of(
                event("message-start", "{'id': 's-2', 'type': 'message-start', 'delta': {'message': {}}}"),
                event("content-start", "{'type': 'content-start', 'index': 0, 'delta': {'message': {'content':"
                        + " {'type': 'thinking', 'thinking': ''}}}}"),
                event("content-delta", "{'type': 'content-delta', 'index': 0, 'delta': {'message': {'content':"
                        + " {'thinking': 'Hmm.'}}}}"),
                event("content-end", "{'type': 'content-end', 'index': 0}"),
                event("content-start", "{'type': 'content-start', 'index': 1, 'delta': {'message': {'content':"
                        + " {'type': 'text', 'text': ''}}}}"),
                event("content-delta", "{'type': 'content-delta', 'index': 1, 'delta': {'message': {'content':"
                        + " {'text': 'Hello'}}}}"),
                event("citation-start", "{'type': 'citation-start', 'index': 0, 'delta': {'message': {}}}"),
                event("content-end", "{'type': 'content-end', 'index': 1}"),
                event("message-end", "{'type': 'message-end', 'delta': {'finish_reason': 'MAX_TOKENS', 'usage': {"
                        + "'billed_units': {'input_tokens': 3, 'output_tokens': 2}}}}"));

        AdapterFixtures.Recording recording = translate(adapter.chatStream(chat(json("{}")), target), events);

        assertThat(recording.deltas()).containsExactly(
                json("{'role': 'assistant', 'content': ''}"),
                json("{'reasoning_content': 'Hmm.'}"),
                json("{'content': 'Hello'}"),
                json("{}"));
        assertThat(recording.finishReason()).isEqualTo("length");
        assertThat(recording.usage.totalTokens()).isEqualTo(5);
    }

    @Test
    void streamErrorFails() {
        List<StreamFrame> events = List.of(
                event("message-start", "{'id': 's-3', 'type': 'message-start', 'delta': {'message': {}}}"),
                event("message-end", "{'type': 'message-end', 'delta': {'finish_reason': 'ERROR',"
                        + " 'error': 'internal failure'}}"));

        AdapterFixtures.Recording recording = translate(adapter.chatStream(chat(json("{}")), target), events);

        assertThat(recording.error).isNotNull();
        assertThat(recording.error.status()).isEqualTo(500);
        assertThat(recording.error.message()).isEqualTo("provider: internal failure");
        assertThat(recording.finishReason()).isNull();
    }

    @Test
    void errorReadsStatusMessageAndRetryAfter() {
        AiError error = adapter.error(429, MultiMap.caseInsensitiveMultiMap().set("retry-after", "3"),
                Buffer.buffer("{\"id\":\"e-1\",\"message\":\"trial key rate limit exceeded\"}"));

        assertThat(error.status()).isEqualTo(429);
        assertThat(error.type()).isEqualTo("rate_limit_error");
        assertThat(error.message()).isEqualTo("provider: trial key rate limit exceeded");
        assertThat(error.retryAfterMillis()).isEqualTo(3000);
    }

    @Test
    void embeddingsTranslateBothWays() {
        ObjectNode request = json("{'model': 'embed', 'input': ['a', 'bb'], 'dimensions': 256,"
                + " 'encoding_format': 'base64'}");
        ProviderCall call = adapter.embeddings(request, target);

        assertThat(call.url()).isEqualTo("https://api.cohere.com/v2/embed");
        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json("""
                {'model': 'command-a-03-2025', 'texts': ['a', 'bb'], 'input_type': 'search_document',
                 'embedding_types': ['float'], 'output_dimension': 256}
                """));

        ObjectNode response = adapter.embeddingsResponse(json("""
                {'id': 'e', 'embeddings': {'float': [[1.0, 0.5], [0.0, -2.0]]}, 'texts': ['a', 'bb'],
                 'meta': {'billed_units': {'input_tokens': 4}}}
                """), json("{'input': 'a'}"), target);
        assertThat(reparse(response)).isEqualTo(json("""
                {'object': 'list', 'data': [
                  {'object': 'embedding', 'index': 0, 'embedding': [1.0, 0.5]},
                  {'object': 'embedding', 'index': 1, 'embedding': [0.0, -2.0]}],
                 'model': 'command-a-03-2025', 'usage': {'prompt_tokens': 4, 'total_tokens': 4}}
                """));

        ObjectNode base64 = adapter.embeddingsResponse(json("{'embeddings': {'float': [[1.0, 0.5]]}}"), request,
                target);
        assertThat(base64.path("data").path(0).path("embedding").asText()).isEqualTo("AACAPwAAAD8=");
    }

    @Test
    void embeddingsKeepExplicitInputType() {
        ObjectNode request = json("{'input': 'query text', 'input_type': 'search_query'}");

        assertThat(Wire.parse(adapter.embeddings(request, target).body()).path("input_type").asText())
                .isEqualTo("search_query");
    }

    @Test
    void embeddingsRejectTokenArrays() {
        ObjectNode request = json("{'input': [[1, 2, 3]]}");

        assertThatThrownBy(() -> adapter.embeddings(request, target))
                .isInstanceOfSatisfying(AiException.class, e -> assertThat(e.error().status()).isEqualTo(400));
    }

    private static StreamFrame event(String name, String data) {
        return StreamFrame.of(name, AdapterFixtures.quotes(data));
    }
}
