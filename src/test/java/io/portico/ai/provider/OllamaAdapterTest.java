package io.portico.ai.provider;

import static io.portico.ai.provider.AdapterFixtures.chat;
import static io.portico.ai.provider.AdapterFixtures.json;
import static io.portico.ai.provider.AdapterFixtures.reparse;
import static io.portico.ai.provider.AdapterFixtures.target;
import static io.portico.ai.provider.AdapterFixtures.translate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class OllamaAdapterTest {

    private final OllamaAdapter adapter = new OllamaAdapter();
    private final CallTarget target = target("ollama", "http://127.0.0.1:11434", "llama3.2", null);

    @Test
    void chatRequestTranslatesRichConversation() {
        ObjectNode request = json("""
                {'model': 'local/llama', 'temperature': 0.1, 'top_p': 0.7, 'top_k': 20, 'max_tokens': 128,
                 'stop': 'END', 'seed': 3, 'user': 'u', 'n': 1, 'parallel_tool_calls': true,
                 'response_format': {'type': 'json_schema', 'json_schema': {'name': 'r',
                   'schema': {'type': 'object', 'properties': {'ok': {'type': 'boolean'}}}}},
                 'thinking': {'type': 'enabled', 'budget_tokens': 500},
                 'messages': [
                   {'role': 'system', 'content': 'Be brief.'},
                   {'role': 'user', 'content': [{'type': 'text', 'text': 'What is this?'},
                     {'type': 'image_url', 'image_url': {'url': 'data:image/jpeg;base64,%s'}}]},
                   {'role': 'assistant', 'content': null, 'reasoning_content': 'Two lookups.', 'tool_calls': [
                     {'id': 'call_1', 'type': 'function',
                      'function': {'name': 'weather', 'arguments': '{`city`:`Rome`}'}},
                     {'id': 'call_2', 'type': 'function', 'function': {'name': 'time', 'arguments': ''}}]},
                   {'role': 'tool', 'tool_call_id': 'call_2', 'content': 'noon'},
                   {'role': 'tool', 'tool_call_id': 'call_1', 'content': [{'type': 'text', 'text': '25C'}]}],
                 'tools': [{'type': 'function', 'function': {'name': 'weather', 'description': 'Weather',
                   'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}}}},
                   {'type': 'function', 'function': {'name': 'time'}}]}
                """.formatted(CohereAdapterTest.PNG));

        ProviderCall call = adapter.chat(chat(request), target);

        assertThat(call.url()).isEqualTo("http://127.0.0.1:11434/api/chat");
        assertThat(call.headers().get("authorization")).isNull();
        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json("""
                {'model': 'llama3.2',
                 'messages': [
                   {'role': 'system', 'content': 'Be brief.'},
                   {'role': 'user', 'content': 'What is this?', 'images': ['%s']},
                   {'role': 'assistant', 'content': '', 'thinking': 'Two lookups.', 'tool_calls': [
                     {'type': 'function', 'function': {'name': 'weather', 'arguments': {'city': 'Rome'}}},
                     {'type': 'function', 'function': {'name': 'time', 'arguments': {}}}]},
                   {'role': 'tool', 'content': 'noon', 'tool_name': 'time'},
                   {'role': 'tool', 'content': '25C', 'tool_name': 'weather'}],
                 'tools': [{'type': 'function', 'function': {'name': 'weather', 'description': 'Weather',
                   'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}}}},
                   {'type': 'function', 'function': {'name': 'time',
                     'parameters': {'type': 'object', 'properties': {}}}}],
                 'format': {'type': 'object', 'properties': {'ok': {'type': 'boolean'}}},
                 'options': {'num_predict': 128, 'temperature': 0.1, 'top_p': 0.7, 'top_k': 20, 'seed': 3,
                   'stop': ['END']},
                 'think': true, 'stream': false}
                """.formatted(CohereAdapterTest.PNG)));
    }

    @Test
    void chatRequestSendsKeyAndJsonMode() {
        CallTarget keyed = target("ollama", "https://ollama.internal", "qwen3", "proxy-key");
        ObjectNode request = json("{'stream': true, 'tool_choice': 'none', 'response_format': {'type': 'json_object'},"
                + " 'tools': [{'type': 'function', 'function': {'name': 'a'}}],"
                + " 'messages': [{'role': 'user', 'content': 'Hi'}]}");

        ProviderCall call = adapter.chat(chat(request), keyed);

        assertThat(call.headers().get("authorization")).isEqualTo("Bearer proxy-key");
        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json("""
                {'model': 'qwen3', 'messages': [{'role': 'user', 'content': 'Hi'}], 'format': 'json',
                 'stream': true}
                """));
    }

    @Test
    void chatRequestRejectsImageUrls() {
        ObjectNode request = json("{'messages': [{'role': 'user', 'content': [{'type': 'image_url',"
                + " 'image_url': {'url': 'https://example.com/cat.png'}}]}]}");

        assertThatThrownBy(() -> adapter.chat(chat(request), target))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(400);
                    assertThat(e.error().message()).isEqualTo("this provider accepts only inline images");
                });
    }

    @Test
    void responseTranslatesToolCallsWithStableIds() {
        ObjectNode body = json("""
                {'model': 'llama3.2', 'created_at': '2025-06-01T10:00:00.000Z',
                 'message': {'role': 'assistant', 'content': '', 'thinking': 'Need weather.',
                   'tool_calls': [{'function': {'name': 'weather', 'arguments': {'city': 'Rome'}}},
                                  {'function': {'index': 1, 'name': 'time', 'arguments': {}}}]},
                 'done': true, 'done_reason': 'stop', 'total_duration': 100, 'prompt_eval_count': 40,
                 'eval_count': 12}
                """);

        ObjectNode first = adapter.chatResponse(body, chat(json("{}")), target);
        ObjectNode second = adapter.chatResponse(body, chat(json("{}")), target);

        JsonNode calls = first.path("choices").path(0).path("message").path("tool_calls");
        String firstId = calls.path(0).path("id").asText();
        String secondId = calls.path(1).path("id").asText();
        assertThat(firstId).matches("call_[0-9a-f]{24}");
        assertThat(secondId).matches("call_[0-9a-f]{24}").isNotEqualTo(firstId);
        assertThat(second.path("choices").path(0).path("message").path("tool_calls")).isEqualTo(calls);
        first.put("created", 0);
        first.put("id", "chatcmpl-test");
        assertThat(reparse(first)).isEqualTo(json("""
                {'id': 'chatcmpl-test', 'object': 'chat.completion', 'created': 0, 'model': 'llama3.2',
                 'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': null,
                   'reasoning_content': 'Need weather.', 'tool_calls': [
                     {'id': '%s', 'type': 'function', 'function': {'name': 'weather', 'arguments': '{`city`:`Rome`}'}},
                     {'id': '%s', 'type': 'function', 'function': {'name': 'time', 'arguments': '{}'}}]},
                   'finish_reason': 'tool_calls'}],
                 'usage': {'prompt_tokens': 40, 'completion_tokens': 12, 'total_tokens': 52,
                   'prompt_tokens_details': {'cached_tokens': 0},
                   'completion_tokens_details': {'reasoning_tokens': 0}}}
                """.formatted(firstId, secondId)));
    }

    @Test
    void responsesGetDistinctIds() {
        ObjectNode body = json("{'model': 'llama3.2', 'message': {'role': 'assistant', 'content': 'Hi'},"
                + " 'done': true, 'done_reason': 'stop', 'prompt_eval_count': 3, 'eval_count': 1}");

        String first = adapter.chatResponse(body, chat(json("{}")), target).path("id").asText();
        String second = adapter.chatResponse(body, chat(json("{}")), target).path("id").asText();

        assertThat(first).matches("chatcmpl-[0-9a-f]{32}");
        assertThat(second).matches("chatcmpl-[0-9a-f]{32}");
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void streamsGetDistinctIds() {
        List<StreamFrame> lines = List.of(
                line("{'model': 'llama3.2', 'message': {'role': 'assistant', 'content': 'Hi'}, 'done': false}"),
                line("{'model': 'llama3.2', 'message': {'role': 'assistant', 'content': ''}, 'done': true,"
                        + " 'done_reason': 'stop', 'prompt_eval_count': 3, 'eval_count': 1}"));

        AdapterFixtures.Recording first = translate(adapter.chatStream(chat(json("{}")), target), lines);
        AdapterFixtures.Recording second = translate(adapter.chatStream(chat(json("{}")), target), lines);

        String id = first.chunks.get(0).path("id").asText();
        assertThat(id).matches("chatcmpl-[0-9a-f]{32}");
        assertThat(first.chunks).allSatisfy(chunk -> assertThat(chunk.path("id").asText()).isEqualTo(id));
        assertThat(second.chunks.get(0).path("id").asText()).matches("chatcmpl-[0-9a-f]{32}").isNotEqualTo(id);
    }

    @Test
    void responseMapsLengthStop() {
        ObjectNode body = json("{'message': {'role': 'assistant', 'content': 'Once upon'}, 'done': true,"
                + " 'done_reason': 'length', 'prompt_eval_count': 3, 'eval_count': 2}");

        JsonNode choice = adapter.chatResponse(body, chat(json("{}")), target).path("choices").path(0);

        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("Once upon");
    }

    @Test
    void streamTranslatesTextToolCallsAndUsage() {
        List<StreamFrame> lines = List.of(
                line("{'model': 'llama3.2', 'created_at': 't1', 'message': {'role': 'assistant', 'content': '',"
                        + " 'thinking': 'Hmm.'}, 'done': false}"),
                line("{'model': 'llama3.2', 'created_at': 't2', 'message': {'role': 'assistant', 'content': 'Sure.'},"
                        + " 'done': false}"),
                line("{'model': 'llama3.2', 'created_at': 't3', 'message': {'role': 'assistant', 'content': '',"
                        + " 'tool_calls': [{'function': {'index': 0, 'name': 'weather',"
                        + " 'arguments': {'city': 'Rome'}}},"
                        + " {'function': {'index': 1, 'name': 'time', 'arguments': {}}}]}, 'done': false}"),
                line("{'model': 'llama3.2', 'created_at': 't4', 'message': {'role': 'assistant', 'content': ''},"
                        + " 'done': true, 'done_reason': 'stop', 'prompt_eval_count': 26, 'eval_count': 9}"));

        AdapterFixtures.Recording recording = translate(adapter.chatStream(chat(json("{}")), target), lines);

        List<JsonNode> deltas = recording.deltas();
        String weatherId = deltas.get(3).path("tool_calls").path(0).path("id").asText();
        String timeId = deltas.get(5).path("tool_calls").path(0).path("id").asText();
        assertThat(deltas).containsExactly(
                json("{'role': 'assistant', 'content': ''}"),
                json("{'reasoning_content': 'Hmm.'}"),
                json("{'content': 'Sure.'}"),
                json("{'tool_calls': [{'index': 0, 'id': '" + weatherId + "', 'type': 'function',"
                        + " 'function': {'name': 'weather', 'arguments': ''}}]}"),
                json("{'tool_calls': [{'index': 0, 'function': {'arguments': '{`city`:`Rome`}'}}]}"),
                json("{'tool_calls': [{'index': 1, 'id': '" + timeId + "', 'type': 'function',"
                        + " 'function': {'name': 'time', 'arguments': ''}}]}"),
                json("{'tool_calls': [{'index': 1, 'function': {'arguments': '{}'}}]}"),
                json("{}"));
        assertThat(weatherId).startsWith("call_").isNotEqualTo(timeId);
        assertThat(recording.finishReason()).isEqualTo("tool_calls");
        assertThat(recording.usage.inputTokens()).isEqualTo(26);
        assertThat(recording.usage.outputTokens()).isEqualTo(9);
    }

    @Test
    void streamErrorLineFails() {
        List<StreamFrame> lines = List.of(
                line("{'model': 'llama3.2', 'message': {'role': 'assistant', 'content': 'Hel'}, 'done': false}"),
                line("{'error': 'an error was encountered while running the model: unexpected EOF'}"));

        AdapterFixtures.Recording recording = translate(adapter.chatStream(chat(json("{}")), target), lines);

        assertThat(recording.text()).isEqualTo("Hel");
        assertThat(recording.error.message())
                .isEqualTo("provider: an error was encountered while running the model: unexpected EOF");
        assertThat(recording.finishReason()).isNull();
    }

    @Test
    void errorReadsOllamaErrorText() {
        AiError error = adapter.error(404, null,
                Buffer.buffer("{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}"));

        assertThat(error.status()).isEqualTo(404);
        assertThat(error.message()).isEqualTo("provider: model \"llama9\" not found, try pulling it first");
    }

    @Test
    void embeddingsTranslateBothWays() {
        ProviderCall call = adapter.embeddings(json("{'input': ['a', 'b'], 'dimensions': 64}"), target);

        assertThat(call.url()).isEqualTo("http://127.0.0.1:11434/api/embed");
        assertThat(reparse(Wire.parse(call.body()))).isEqualTo(json(
                "{'model': 'llama3.2', 'input': ['a', 'b'], 'dimensions': 64}"));
        ObjectNode response = adapter.embeddingsResponse(json("""
                {'model': 'all-minilm', 'embeddings': [[0.5, 0.25], [1.0, 0.0]], 'total_duration': 1,
                 'load_duration': 1, 'prompt_eval_count': 6}
                """), json("{'input': ['a', 'b']}"), target);
        assertThat(reparse(response)).isEqualTo(json("""
                {'object': 'list', 'data': [
                  {'object': 'embedding', 'index': 0, 'embedding': [0.5, 0.25]},
                  {'object': 'embedding', 'index': 1, 'embedding': [1.0, 0.0]}],
                 'model': 'all-minilm', 'usage': {'prompt_tokens': 6, 'total_tokens': 6}}
                """));
    }

    private static StreamFrame line(String json) {
        return StreamFrame.of(null, AdapterFixtures.quotes(json));
    }
}
