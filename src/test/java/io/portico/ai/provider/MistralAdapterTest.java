package io.portico.ai.provider;

import static io.portico.ai.provider.AdapterFixtures.chat;
import static io.portico.ai.provider.AdapterFixtures.json;
import static io.portico.ai.provider.AdapterFixtures.reparse;
import static io.portico.ai.provider.AdapterFixtures.target;
import static io.portico.ai.provider.AdapterFixtures.translate;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class MistralAdapterTest {

    private final MistralAdapter adapter = new MistralAdapter();
    private final CallTarget target = target("mistral", "https://api.mistral.ai/v1", "mistral-large-latest", "m-key");

    @Test
    void chatRequestDropsCacheBreakpoints() {
        ObjectNode request = json("""
                {'model': 'm', 'messages': [
                   {'role': 'system', 'content': [
                     {'type': 'text', 'text': 'Rules.', 'cache_control': {'type': 'ephemeral'}}]},
                   {'role': 'user', 'content': [
                     {'type': 'text', 'text': 'Weather?', 'cache_control': {'type': 'ephemeral'}}]},
                   {'role': 'assistant', 'content': [
                     {'type': 'text', 'text': 'Checking.', 'cache_control': {'type': 'ephemeral'}}],
                    'cache_control': {'type': 'ephemeral'},
                    'tool_calls': [{'id': 'abcDEF123', 'type': 'function',
                      'function': {'name': 'get_weather', 'arguments': '{}'}}]},
                   {'role': 'tool', 'tool_call_id': 'abcDEF123', 'content': 'Error: down', 'is_error': true,
                    'cache_control': {'type': 'ephemeral'}}],
                 'tools': [{'type': 'function', 'function': {'name': 'get_weather'},
                            'cache_control': {'type': 'ephemeral'}}]}
                """);

        ProviderCall call = adapter.chat(chat(request), target);

        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json("""
                {'model': 'mistral-large-latest',
                 'messages': [
                   {'role': 'system', 'content': [{'type': 'text', 'text': 'Rules.'}]},
                   {'role': 'user', 'content': [{'type': 'text', 'text': 'Weather?'}]},
                   {'role': 'assistant', 'content': [{'type': 'text', 'text': 'Checking.'}],
                    'tool_calls': [{'id': 'abcDEF123', 'type': 'function',
                      'function': {'name': 'get_weather', 'arguments': '{}'}}]},
                   {'role': 'tool', 'content': 'Error: down', 'tool_call_id': 'abcDEF123'}],
                 'tools': [{'type': 'function', 'function': {'name': 'get_weather'}}],
                 'stream': false}
                """));
    }

    @Test
    void chatRequestKeepsOnlyMistralFields() {
        String foreignId = "toolu_01A09q90qw90lq917835lq9";
        String mappedId = MistralMessages.toolCallId(foreignId);
        ObjectNode request = json("""
                {'model': 'mistral/large', 'stream': true, 'stream_options': {'include_usage': true},
                 'temperature': 0.3, 'top_p': 0.8, 'top_k': 5, 'max_completion_tokens': 200, 'stop': ['END'],
                 'seed': 42, 'user': 'u-1', 'logprobs': true, 'n': 1, 'presence_penalty': 0.5,
                 'parallel_tool_calls': false, 'tool_choice': 'required',
                 'thinking': {'type': 'enabled', 'budget_tokens': 100},
                 'response_format': {'type': 'json_schema', 'json_schema': {'name': 'r', 'schema': {'type': 'object'},
                   'strict': true}},
                 'messages': [
                   {'role': 'developer', 'content': 'Be brief.'},
                   {'role': 'user', 'name': 'ann', 'content': [{'type': 'text', 'text': 'Look'},
                     {'type': 'image_url', 'image_url': {'url': 'data:image/gif;base64,%s'}},
                     {'type': 'image_url', 'image_url': {'url': 'https://example.com/a.jpg'}}]},
                   {'role': 'assistant', 'content': '', 'reasoning_content': 'thinking...',
                    'thinking_blocks': [{'type': 'thinking', 'thinking': 'x', 'signature': 's'}],
                    'tool_calls': [
                     {'id': '%s', 'type': 'function', 'function': {'name': 'a', 'arguments': '{}'}},
                     {'id': 'abcDEF123', 'type': 'function', 'function': {'name': 'b', 'arguments': ''}}]},
                   {'role': 'tool', 'tool_call_id': '%s', 'name': 'a', 'content': 'one'},
                   {'role': 'tool', 'tool_call_id': 'abcDEF123', 'content': 'two'}],
                 'tools': [{'type': 'function', 'function': {'name': 'a', 'parameters': {'type': 'object'}}},
                           {'type': 'function', 'function': {'name': 'b', 'strict': true}}]}
                """.formatted(CohereAdapterTest.PNG, foreignId, foreignId));

        ProviderCall call = adapter.chat(chat(request), target);

        assertThat(call.url()).isEqualTo("https://api.mistral.ai/v1/chat/completions");
        assertThat(call.headers().get("authorization")).isEqualTo("Bearer m-key");
        assertThat(mappedId).matches("[A-Za-z0-9]{9}");
        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json("""
                {'model': 'mistral-large-latest',
                 'messages': [
                   {'role': 'system', 'content': 'Be brief.'},
                   {'role': 'user', 'content': [{'type': 'text', 'text': 'Look'},
                     {'type': 'image_url', 'image_url': {'url': 'data:image/png;base64,%s'}},
                     {'type': 'image_url', 'image_url': {'url': 'https://example.com/a.jpg'}}]},
                   {'role': 'assistant', 'tool_calls': [
                     {'id': '%s', 'type': 'function', 'function': {'name': 'a', 'arguments': '{}'}},
                     {'id': 'abcDEF123', 'type': 'function', 'function': {'name': 'b', 'arguments': '{}'}}]},
                   {'role': 'tool', 'content': 'one', 'tool_call_id': '%s', 'name': 'a'},
                   {'role': 'tool', 'content': 'two', 'tool_call_id': 'abcDEF123'}],
                 'max_tokens': 200, 'temperature': 0.3, 'top_p': 0.8, 'stop': ['END'],
                 'response_format': {'type': 'json_schema', 'json_schema': {'name': 'r', 'schema': {'type': 'object'},
                   'strict': true}},
                 'n': 1, 'presence_penalty': 0.5, 'parallel_tool_calls': false, 'random_seed': 42,
                 'tools': [{'type': 'function', 'function': {'name': 'a', 'parameters': {'type': 'object'}}},
                           {'type': 'function', 'function': {'name': 'b', 'strict': true}}],
                 'tool_choice': 'any', 'stream': true}
                """.formatted(CohereAdapterTest.PNG, mappedId, mappedId)));
    }

    @Test
    void toolCallIdsMapTheSameWayEveryTime() {
        assertThat(MistralMessages.toolCallId("call_abc")).isEqualTo(MistralMessages.toolCallId("call_abc"));
        assertThat(MistralMessages.toolCallId("call_abc")).isNotEqualTo(MistralMessages.toolCallId("call_abd"));
        assertThat(MistralMessages.toolCallId("D681PevKs")).isEqualTo("D681PevKs");
    }

    @Test
    void responseKeepsOnlyOpenAiFields() {
        ObjectNode body = json("""
                {'id': 'cmpl-2', 'object': 'chat.completion', 'created': 2, 'model': 'mistral-large-latest',
                 'choices': [
                   {'index': 0, 'finish_reason': 'stop', 'logprobs': null,
                    'message': {'role': 'assistant', 'content': 'Hi.', 'tool_calls': null, 'prefix': false}},
                   {'index': 1, 'finish_reason': 'tool_calls', 'message': {'role': 'assistant', 'content': '',
                     'tool_calls': [{'id': 'D681PevKs', 'index': 0,
                                     'function': {'name': 'get_weather', 'arguments': '{}'}}],
                     'prefix': false}}],
                 'usage': {'prompt_tokens': 10, 'completion_tokens': 4, 'total_tokens': 14,
                           'prompt_audio_seconds': null}}
                """);

        ObjectNode response = adapter.chatResponse(body, chat(json("{}")), target);

        assertThat(reparse(response)).isEqualTo(json("""
                {'id': 'cmpl-2', 'object': 'chat.completion', 'created': 2, 'model': 'mistral-large-latest',
                 'choices': [
                   {'index': 0, 'finish_reason': 'stop', 'logprobs': null,
                    'message': {'role': 'assistant', 'content': 'Hi.'}},
                   {'index': 1, 'finish_reason': 'tool_calls', 'message': {'role': 'assistant', 'content': '',
                     'tool_calls': [{'id': 'D681PevKs', 'type': 'function',
                                     'function': {'name': 'get_weather', 'arguments': '{}'}}]}}],
                 'usage': {'prompt_tokens': 10, 'completion_tokens': 4, 'total_tokens': 14}}
                """));
    }

    @Test
    void responseSplitsReasoningAndMapsFinishReason() {
        ObjectNode body = json("""
                {'id': 'cmpl-1', 'object': 'chat.completion', 'created': 1, 'model': 'magistral-medium',
                 'choices': [{'index': 0, 'finish_reason': 'model_length', 'message': {'role': 'assistant',
                   'content': [{'type': 'thinking', 'thinking': [{'type': 'text', 'text': 'Let me see.'}]},
                               {'type': 'text', 'text': 'Four.'}]}}],
                 'usage': {'prompt_tokens': 10, 'completion_tokens': 4, 'total_tokens': 14}}
                """);

        ObjectNode response = adapter.chatResponse(body, chat(json("{}")), target);

        assertThat(reparse(response)).isEqualTo(json("""
                {'id': 'cmpl-1', 'object': 'chat.completion', 'created': 1, 'model': 'magistral-medium',
                 'choices': [{'index': 0, 'finish_reason': 'length', 'message': {'role': 'assistant',
                   'content': 'Four.', 'reasoning_content': 'Let me see.'}}],
                 'usage': {'prompt_tokens': 10, 'completion_tokens': 4, 'total_tokens': 14}}
                """));
    }

    @Test
    void streamTranslatesParallelToolCallsAndUsage() {
        List<StreamFrame> events = List.of(
                data("{'id': 'c1', 'object': 'chat.completion.chunk', 'created': 1, 'model': 'mistral-large',"
                        + " 'choices': [{'index': 0, 'delta': {'role': 'assistant', 'content': ''},"
                        + " 'finish_reason': null}]}"),
                data("{'id': 'c1', 'object': 'chat.completion.chunk', 'created': 1, 'model': 'mistral-large',"
                        + " 'choices': [{'index': 0, 'delta': {'tool_calls': ["
                        + "{'id': 'Aa1111111', 'function': {'name': 'a', 'arguments': '{`x`:1}'}, 'index': 0},"
                        + "{'id': 'Bb2222222', 'function': {'name': 'b', 'arguments': ''}, 'index': 0}]},"
                        + " 'finish_reason': 'tool_calls'}],"
                        + " 'usage': {'prompt_tokens': 50, 'total_tokens': 70, 'completion_tokens': 20}}"),
                data("[DONE]"));

        AdapterFixtures.Recording recording = translate(adapter.chatStream(chat(json("{}")), target), events);

        assertThat(recording.deltas()).containsExactly(
                json("{'role': 'assistant', 'content': ''}"),
                json("{'tool_calls': ["
                        + "{'id': 'Aa1111111', 'function': {'name': 'a', 'arguments': '{`x`:1}'}, 'index': 0,"
                        + " 'type': 'function'},"
                        + "{'id': 'Bb2222222', 'function': {'name': 'b', 'arguments': ''}, 'index': 1,"
                        + " 'type': 'function'}]}"),
                json("{'tool_calls': [{'index': 1, 'function': {'arguments': '{}'}}]}"),
                json("{}"));
        assertThat(recording.finishReason()).isEqualTo("tool_calls");
        assertThat(recording.usage.inputTokens()).isEqualTo(50);
        assertThat(recording.usage.outputTokens()).isEqualTo(20);
    }

    @Test
    void streamErrorFinishFails() {
        List<StreamFrame> events = List.of(
                data("{'id': 'c2', 'choices': [{'index': 0, 'delta': {'content': 'Hi'}, 'finish_reason': null}]}"),
                data("{'id': 'c2', 'choices': [{'index': 0, 'delta': {'content': ''}, 'finish_reason': 'error'}]}"));

        AdapterFixtures.Recording recording = translate(adapter.chatStream(chat(json("{}")), target), events);

        assertThat(recording.text()).isEqualTo("Hi");
        assertThat(recording.error).isNotNull();
        assertThat(recording.error.status()).isEqualTo(500);
        assertThat(recording.finishReason()).isNull();
    }

    @Test
    void errorReadsMessageAndValidationDetail() {
        AiError plain = adapter.error(400, null, Buffer.buffer(AdapterFixtures.quotes(
                "{'object': 'error', 'message': 'Tool call id was x but must be a-z, A-Z, 0-9, with a length of 9.',"
                        + " 'type': 'invalid_request_error', 'param': null, 'code': null}")));
        AiError validation = adapter.error(422, null, Buffer.buffer(AdapterFixtures.quotes(
                "{'object': 'error', 'message': {'detail': [{'type': 'extra_forbidden', 'loc': ['body', 'user'],"
                        + " 'msg': 'Extra inputs are not permitted'}]}, 'type': 'invalid_request_message_error'}")));

        assertThat(plain.status()).isEqualTo(400);
        assertThat(plain.type()).isEqualTo("invalid_request_error");
        assertThat(plain.message()).isEqualTo(
                "provider: Tool call id was x but must be a-z, A-Z, 0-9, with a length of 9.");
        assertThat(validation.status()).isEqualTo(422);
        assertThat(validation.message()).startsWith("provider: {\"detail\":[{\"type\":\"extra_forbidden\"")
                .contains("Extra inputs are not permitted");
    }

    @Test
    void embeddingsTranslateBothWays() {
        ProviderCall call = adapter.embeddings(json("{'input': 'hello', 'user': 'u', 'dimensions': 512}"), target);

        assertThat(call.url()).isEqualTo("https://api.mistral.ai/v1/embeddings");
        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json(
                "{'model': 'mistral-large-latest', 'input': ['hello'], 'output_dimension': 512}"));
        ObjectNode response = adapter.embeddingsResponse(json("""
                {'id': 'e', 'object': 'list', 'model': 'mistral-embed',
                 'data': [{'object': 'embedding', 'embedding': [0.25, -1.0], 'index': 0}],
                 'usage': {'prompt_tokens': 2, 'total_tokens': 2, 'completion_tokens': 0}}
                """), json("{'input': 'hello'}"), target);
        assertThat(reparse(response)).isEqualTo(json("""
                {'object': 'list', 'data': [{'object': 'embedding', 'index': 0, 'embedding': [0.25, -1.0]}],
                 'model': 'mistral-embed', 'usage': {'prompt_tokens': 2, 'total_tokens': 2}}
                """));
    }

    private static StreamFrame data(String data) {
        return StreamFrame.of(null, AdapterFixtures.quotes(data));
    }
}
