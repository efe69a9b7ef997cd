package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.portico.ai.mock.OllamaMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real node in front of the Ollama mock, driven by the official OpenAI and Anthropic Java SDKs. Ollama sends no
 * response id, so these tests check the ids that Portico gives each response.
 */
class OllamaEndpointTest {

    private static final String MODEL = "ollama/llama3.2";
    private static final String COMPLETION_ID = "chatcmpl-[0-9a-f]{32}";
    private static final String MESSAGE_ID = "msg_chatcmpl-[0-9a-f]{32}";

    private static OllamaMock ollama;
    private static TestNode node;
    private static OpenAIClient openAi;
    private static AnthropicClient anthropic;

    @BeforeAll
    static void start() {
        ollama = new OllamaMock(null);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("ollama", "ollama", ollama.baseUrl());
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        openAi = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("client-key").maxRetries(0)
                .build();
        anthropic = AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey("client-key").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        node.close();
        ollama.close();
    }

    @Test
    void completionsGetDistinctIds() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Hi")
                .build();

        ChatCompletion first = openAi.chat().completions().create(params);
        ChatCompletion second = openAi.chat().completions().create(params);

        assertThat(first.choices().get(0).message().content()).contains("Hello from ollama");
        assertThat(first.id()).matches(COMPLETION_ID);
        assertThat(second.id()).matches(COMPLETION_ID);
        assertThat(first.id()).isNotEqualTo(second.id());
    }

    @Test
    void streamedCompletionsGetDistinctIds() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Hi")
                .build();

        List<ChatCompletionChunk> first = streamChunks(params);
        List<ChatCompletionChunk> second = streamChunks(params);

        String id = first.get(0).id();
        assertThat(id).matches(COMPLETION_ID);
        assertThat(first).allSatisfy(chunk -> assertThat(chunk.id()).isEqualTo(id));
        assertThat(second.get(0).id()).matches(COMPLETION_ID);
        assertThat(second.get(0).id()).isNotEqualTo(id);
    }

    @Test
    void messagesGetDistinctIds() {
        MessageCreateParams params = MessageCreateParams.builder().model(MODEL).maxTokens(50).addUserMessage("Hi")
                .build();

        Message first = anthropic.messages().create(params);
        Message second = anthropic.messages().create(params);

        assertThat(first.content().get(0).text().orElseThrow().text()).contains("Hello from ollama");
        assertThat(first.id()).matches(MESSAGE_ID);
        assertThat(second.id()).matches(MESSAGE_ID);
        assertThat(first.id()).isNotEqualTo(second.id());
    }

    @Test
    void streamedMessagesGetDistinctIds() {
        MessageCreateParams params = MessageCreateParams.builder().model(MODEL).maxTokens(50).addUserMessage("Hi")
                .build();

        String first = streamedMessageId(params);
        String second = streamedMessageId(params);

        assertThat(first).matches(MESSAGE_ID);
        assertThat(second).matches(MESSAGE_ID);
        assertThat(first).isNotEqualTo(second);
    }

    private static List<ChatCompletionChunk> streamChunks(ChatCompletionCreateParams params) {
        try (com.openai.core.http.StreamResponse<ChatCompletionChunk> stream =
                     openAi.chat().completions().createStreaming(params)) {
            return stream.stream().toList();
        }
    }

    /** Reads a whole Anthropic stream and returns the message id of its {@code message_start}. */
    private static String streamedMessageId(MessageCreateParams params) {
        List<RawMessageStreamEvent> events;
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(params)) {
            events = stream.stream().toList();
        }
        assertThat(events.get(events.size() - 1).isMessageStop()).isTrue();
        return events.get(0).asMessageStart().message().id();
    }
}
