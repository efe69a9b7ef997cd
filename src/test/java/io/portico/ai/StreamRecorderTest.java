package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link CompletionRecorder} and {@link MessageRecorder} in memory, on whole, broken and oversized streams. */
class StreamRecorderTest {

    private static final Usage USAGE = new Usage(12, 5, 0, 0, 0, false);

    private static ObjectNode json(String text) {
        return (ObjectNode) Wire.parse(text);
    }

    private static ObjectNode chunk(String choices) {
        return json("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"gpt-4o\",\"choices\":" + choices + "}");
    }

    private static StreamFrame event(String name, String data) {
        return StreamFrame.of(name, data);
    }

    @Test
    void completionJoinsDeltasPerChoice() {
        CompletionRecorder recorder = new CompletionRecorder(1024);
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}},"
                + "{\"index\":1,\"delta\":{\"content\":\"Bon\"}}]"));
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"content\":\"lo\",\"reasoning_content\":\"hmm\"}}]"));
        recorder.chunk(chunk("[{\"index\":1,\"delta\":{\"content\":\"jour\"},\"finish_reason\":\"length\"}]"));
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]"));

        ObjectNode completion = recorder.completion(USAGE);

        assertThat(completion.path("id").asText()).isEqualTo("chatcmpl-1");
        assertThat(completion.path("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.path("created").asLong()).isEqualTo(1700000000L);
        assertThat(completion.path("model").asText()).isEqualTo("gpt-4o");
        assertThat(completion.at("/choices/0/message/content").asText()).isEqualTo("Hello");
        assertThat(completion.at("/choices/0/message/reasoning_content").asText()).isEqualTo("hmm");
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(completion.at("/choices/1/message/content").asText()).isEqualTo("Bonjour");
        assertThat(completion.at("/choices/1/finish_reason").asText()).isEqualTo("length");
        assertThat(completion.at("/usage/prompt_tokens").asLong()).isEqualTo(12);
        assertThat(completion.at("/usage/completion_tokens").asLong()).isEqualTo(5);
    }

    @Test
    void completionMergesToolCallsByIndex() {
        CompletionRecorder recorder = new CompletionRecorder(1024);
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]}}]"));
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                + "\"function\":{\"arguments\":\"{\\\"q\\\":\"}}]}}]"));
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                + "\"function\":{\"arguments\":\"1}\"}}]}}]"));
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]"));

        JsonNode message = recorder.completion(USAGE).at("/choices/0/message");

        assertThat(message.path("content").isNull()).isTrue();
        assertThat(message.at("/tool_calls/0/id").asText()).isEqualTo("call_1");
        assertThat(message.at("/tool_calls/0/function/name").asText()).isEqualTo("lookup");
        assertThat(message.at("/tool_calls/0/function/arguments").asText()).isEqualTo("{\"q\":1}");
        assertThat(message.path("tool_calls")).hasSize(1);
    }

    @Test
    void completionWithoutFinishIsNotReturned() {
        CompletionRecorder recorder = new CompletionRecorder(1024);
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]"));

        assertThat(recorder.completion(USAGE)).isNull();
        assertThat(new CompletionRecorder(1024).completion(USAGE)).isNull();
    }

    @Test
    void completionOverSizeLimitIsDropped() {
        CompletionRecorder recorder = new CompletionRecorder(8);
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"content\":\"12345\"}}]"));
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{\"content\":\"67890\"}}]"));
        recorder.chunk(chunk("[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]"));

        assertThat(recorder.completion(USAGE)).isNull();
    }

    private static MessageRecorder nativeStream(long maxBytes, String... skipped) {
        MessageRecorder recorder = new MessageRecorder(maxBytes);
        String[][] events = {
            {"message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                    + "\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"stop_reason\":null,"
                    + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}"},
            {"content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
                    + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"},
            {"ping", "{\"type\":\"ping\"}"},
            {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \"}}"},
            {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"there\"}}"},
            {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"},
            {"content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
                    + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"lookup\",\"input\":{}}}"},
            {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,"
                    + "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":\"}}"},
            {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,"
                    + "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"1}\"}}"},
            {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"},
            {"message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
                    + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":7}}"},
            {"message_stop", "{\"type\":\"message_stop\"}"},
        };
        for (String[] event : events) {
            if (!Arrays.asList(skipped).contains(event[0])) {
                recorder.frame(event(event[0], event[1]));
            }
        }
        return recorder;
    }

    @Test
    void messageAppliesEveryEvent() throws Exception {
        Buffer recorded = nativeStream(4096).message();

        JsonNode message = Json.MAPPER.readTree(recorded.getBytes());
        assertThat(message.path("id").asText()).isEqualTo("msg_1");
        assertThat(message.at("/content/0/text").asText()).isEqualTo("Hi there");
        assertThat(message.at("/content/1/input").toString()).isEqualTo("{\"q\":1}");
        assertThat(message.path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(message.at("/usage/input_tokens").asLong()).isEqualTo(12);
        assertThat(message.at("/usage/output_tokens").asLong()).isEqualTo(7);
    }

    @Test
    void messageWithoutStopIsNotReturned() {
        assertThat(nativeStream(4096, "message_stop").message()).isNull();
    }

    @Test
    void messageOverSizeLimitIsDropped() {
        assertThat(nativeStream(600).message()).isNull();
    }

    @Test
    void messageWithErrorEventIsDropped() {
        MessageRecorder recorder = nativeStream(4096, "message_stop");
        recorder.frame(event("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}"));
        recorder.frame(event("message_stop", "{\"type\":\"message_stop\"}"));

        assertThat(recorder.message()).isNull();
    }

    @Test
    void messageWithInvalidToolInputIsDropped() {
        MessageRecorder recorder = new MessageRecorder(4096);
        recorder.frame(event("message_start",
                "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"content\":[]}}"));
        recorder.frame(event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"n\",\"input\":{}}}"));
        recorder.frame(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":\"}}"));
        recorder.frame(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        recorder.frame(event("message_stop", "{\"type\":\"message_stop\"}"));

        assertThat(recorder.message()).isNull();
    }
}
