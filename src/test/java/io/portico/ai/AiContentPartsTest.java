package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.BedrockMock;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Document, file and audio content parts on their way from one protocol to another provider, checked on the exact
 * JSON each mock provider receives, and the 400 errors for parts a provider cannot take.
 */
class AiContentPartsTest {

    /** "%PDF-1.4\n" in base64. */
    private static final String PDF = "JVBERi0xLjQK";
    /** "Total: 42" in base64. */
    private static final String TEXT = "VG90YWw6IDQy";

    private static TranslationProviders providers;
    private static AnthropicMock anthropic;
    private static OpenAiMock openAi;
    private static GeminiMock gemini;
    private static BedrockMock bedrock;
    private static TestNode node;

    @BeforeAll
    static void start() {
        providers = TranslationProviders.start();
        anthropic = providers.anthropic;
        openAi = providers.openAi;
        gemini = providers.gemini;
        bedrock = providers.bedrock;
        node = providers.node;
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

    private static HttpResponse<String> openAiChat(String model, String content) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", json("""
                {'model':'%s','messages':[{'role':'user','content':%s}]}""".formatted(model, content)).toString());
    }

    private static HttpResponse<String> anthropicMessages(String model, String content) {
        return AiTestClient.post(node.url() + "/v1/messages", json("""
                {'model':'%s','max_tokens':64,'messages':[{'role':'user','content':%s}]}"""
                .formatted(model, content)).toString(), "anthropic-version", "2023-06-01");
    }

    @Test
    void openAiFilesBecomeAnthropicDocuments() {
        HttpResponse<String> response = openAiChat("an/claude-sonnet-4-5", """
                [{'type':'text','text':'see'},
                 {'type':'file','file':{'file_data':'data:application/pdf;base64,%s','filename':'x.pdf'}},
                 {'type':'file','file':{'file_data':'data:text/plain;base64,%s'}}]""".formatted(PDF, TEXT));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(anthropic.last().body().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'type':'text','text':'see'},
                  {'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'%s'},
                   'title':'x.pdf'},
                  {'type':'document','source':{'type':'text','media_type':'text/plain','data':'Total: 42'}}]}]"""
                .formatted(PDF)));
    }

    @Test
    void openAiFilesBecomeBedrockDocuments() {
        HttpResponse<String> response = openAiChat("aws/anthropic.claude-3-5-sonnet-20240620-v1:0", """
                [{'type':'text','text':'see'},
                 {'type':'file','file':{'file_data':'data:application/pdf;base64,%s',
                   'filename':'Q3_report  (final).v2.pdf'}},
                 {'type':'file','file':{'file_data':'data:text/markdown;base64,%s'}},
                 {'type':'file','file':{'file_data':'data:text/plain;base64,%s'}}]""".formatted(PDF, TEXT, TEXT));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<BedrockMock.Recorded> requests = bedrock.requests();
        assertThat(requests.get(requests.size() - 1).body().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'text':'see'},
                  {'document':{'format':'pdf','name':'Q3 report (final) v2','source':{'bytes':'%s'}}},
                  {'document':{'format':'md','name':'document','source':{'bytes':'%s'}}},
                  {'document':{'format':'txt','name':'document (2)','source':{'bytes':'%s'}}}]}]"""
                .formatted(PDF, TEXT, TEXT)));
    }

    @Test
    void anthropicDocumentsBecomeOpenAiParts() {
        HttpResponse<String> response = anthropicMessages("oa/gpt-4o", """
                [{'type':'text','text':'see'},
                 {'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'%s'},
                  'title':'x.pdf'},
                 {'type':'document','source':{'type':'text','media_type':'text/plain','data':'Total: 42'}}]"""
                .formatted(PDF));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(openAi.last().body().get("messages")).isEqualTo(json("""
                [{'role':'user','content':[{'type':'text','text':'see'},
                  {'type':'file','file':{'filename':'x.pdf','file_data':'data:application/pdf;base64,%s'}},
                  {'type':'text','text':'Total: 42'}]}]""".formatted(PDF)));
    }

    @Test
    void anthropicDocumentsBecomeGeminiParts() {
        HttpResponse<String> response = anthropicMessages("ge/gemini-2.5-flash", """
                [{'type':'text','text':'see'},
                 {'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'%s'}},
                 {'type':'document','source':{'type':'text','media_type':'text/plain','data':'Total: 42'}}]"""
                .formatted(PDF));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<GeminiMock.Recorded> requests = gemini.requests();
        assertThat(requests.get(requests.size() - 1).json().get("contents")).isEqualTo(json("""
                [{'role':'user','parts':[{'text':'see'},
                  {'inlineData':{'mimeType':'application/pdf','data':'%s'}},
                  {'text':'Total: 42'}]}]""".formatted(PDF)));
    }

    @Test
    void audioToAnthropicIsRejected() {
        HttpResponse<String> response = openAiChat("an/claude-sonnet-4-5", """
                [{'type':'text','text':'listen'},
                 {'type':'input_audio','input_audio':{'data':'UklGRg==','format':'wav'}}]""");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText())
                .isEqualTo("content parts of type 'input_audio' are not supported by provider 'an'");
        assertThat(anthropic.received()).isEmpty();
    }

    @Test
    void fileIdToBedrockIsRejected() {
        int before = bedrock.requests().size();

        HttpResponse<String> response = openAiChat("aws/anthropic.claude-3-5-sonnet-20240620-v1:0", """
                [{'type':'file','file':{'file_id':'file-abc123'}}]""");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).path("error").path("message").asText())
                .isEqualTo("file parts with a file_id are not supported by provider 'aws'; send the file inline"
                        + " as file_data");
        assertThat(bedrock.requests()).hasSize(before);
    }

    @Test
    void searchResultToOpenAiIsRejected() {
        HttpResponse<String> response = anthropicMessages("oa/gpt-4o", """
                [{'type':'search_result','source':'http://127.0.0.1:9/a','title':'A',
                  'content':[{'type':'text','text':'found'}]},
                 {'type':'text','text':'see'}]""");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.path("error").path("message").asText())
                .isEqualTo("content parts of type 'search_result' are not supported by provider 'oa'");
        assertThat(openAi.received()).isEmpty();
    }

    @Test
    void unknownPartOnlyIsRejected() {
        HttpResponse<String> response = openAiChat("an/claude-sonnet-4-5", """
                [{'type':'video','video':{'url':'http://127.0.0.1:9/v.mp4'}}]""");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).path("error").path("message").asText())
                .isEqualTo("content parts of type 'video' are not supported by provider 'an'");
        assertThat(anthropic.received()).isEmpty();
    }

    @Test
    void unsupportedFileTypeToAnthropicIsRejected() {
        HttpResponse<String> response = openAiChat("an/claude-sonnet-4-5", """
                [{'type':'file','file':{'file_data':'data:text/csv;base64,%s','filename':'t.csv'}}]"""
                .formatted(TEXT));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).path("error").path("message").asText())
                .isEqualTo("files of type 'text/csv' are not supported by provider 'an'; it accepts application/pdf"
                        + " and text/plain");
        assertThat(anthropic.received()).isEmpty();
    }
}
