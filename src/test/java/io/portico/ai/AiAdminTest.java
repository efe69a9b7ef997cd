package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.declarative.Secrets;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Providers and virtual models through the admin API: validation, secret masking, and changes served live. */
class AiAdminTest {

    private static OpenAiMock provider;
    private static TestNode node;

    @BeforeAll
    static void start() {
        provider = new OpenAiMock("one", "sk-first-key");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("one", "openai", provider.baseUrl(), "sk-first-key", "sk-second-key");
        config.model("smart", "fallback", "one/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        provider.close();
    }

    @Test
    void masksEveryKeyAndKeepsThemOnReapply() throws IOException {
        JsonNode read = node.admin("GET", "/admin/v1/providers/one", null, 200);
        HttpResponse<String> exported = node.adminRaw("GET", "/admin/v1/config?format=json", null);

        assertThat(read.at("/keys/0/key").asText()).isEqualTo(Secrets.hint("sk-first-key"));
        assertThat(read.at("/keys/1/key").asText()).isEqualTo(Secrets.hint("sk-second-key"));
        assertThat(read.toString() + exported.body()).doesNotContain("sk-first-key").doesNotContain("sk-second-key");

        node.apply((ObjectNode) Json.MAPPER.readTree(exported.body()));
        HttpResponse<String> answer = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(provider.last().headers().get("authorization")).startsWith("Bearer sk-");
    }

    @Test
    void rejectsInvalidProvidersFieldByField() {
        ObjectNode bad = Json.MAPPER.createObjectNode().put("name", "bad").put("type", "no-such-type")
                .put("baseUrl", "ftp://x");
        bad.putObject("retries").put("attempts", 0);

        JsonNode fields = node.admin("POST", "/admin/v1/providers", bad, 400);
        bad.put("baseUrl", "https://example.test/v1").putObject("retries").put("attempts", 2);
        JsonNode type = node.admin("POST", "/admin/v1/providers", bad, 400);

        assertThat(fields.toString()).contains("baseUrl").contains("retries.attempts");
        assertThat(type.toString()).contains("unknown provider type 'no-such-type'");
    }

    @Test
    void rejectsBaseUrlWithUserInformation() {
        ObjectNode withUser = Json.MAPPER.createObjectNode().put("name", "userinfo").put("type", "openai")
                .put("baseUrl", "http://user:hunter2@127.0.0.1:9/v1");
        withUser.putArray("keys").addObject().put("key", "sk-userinfo");

        JsonNode problem = node.admin("POST", "/admin/v1/providers", withUser, 400);

        List<String> fields = problem.path("errors").findValuesAsText("field");
        assertThat(fields).containsExactly("baseUrl");
        assertThat(problem.toString()).contains("must not contain user information");
        assertThat(problem.toString()).doesNotContain("hunter2");
    }

    @Test
    void rejectsBaseUrlWithAmbiguousHost() {
        ObjectNode octal = Json.MAPPER.createObjectNode().put("name", "octal").put("type", "openai")
                .put("baseUrl", "http://0177.0.0.1:9/v1");
        octal.putArray("keys").addObject().put("key", "sk-octal");

        JsonNode problem = node.admin("POST", "/admin/v1/providers", octal, 400);

        List<String> fields = problem.path("errors").findValuesAsText("field");
        assertThat(fields).containsExactly("baseUrl");
        assertThat(problem.toString()).contains("the host 0177.0.0.1 is an ambiguous IPv4 address form");
    }

    @Test
    void listsInvalidDurationWithOtherErrors() {
        ObjectNode bad = Json.MAPPER.createObjectNode().put("name", "late").put("type", "openai")
                .put("baseUrl", "ftp://x");
        bad.putArray("keys").addObject().put("label", "a");
        bad.putObject("timeouts").put("total", "-1s");
        bad.putObject("retries").put("attempts", 0);

        JsonNode problem = node.admin("POST", "/admin/v1/providers", bad, 400);

        List<String> fields = problem.path("errors").findValuesAsText("field");
        assertThat(fields).containsExactlyInAnyOrder("timeouts.total", "baseUrl", "keys[0].key", "retries.attempts");
    }

    @Test
    void rejectsDuplicateKeysAndLabels() {
        ObjectNode spec = Json.MAPPER.createObjectNode().put("name", "twice").put("type", "openai");
        ArrayNode keys = spec.putArray("keys");
        keys.addObject().put("key", "sk-same").put("label", "main");
        keys.addObject().put("key", "sk-same").put("label", "spare");
        keys.addObject().put("key", "sk-other").put("label", "main");
        keys.addObject().put("key", "sk-fourth");
        keys.addObject().put("key", "sk-fifth").put("label", "#4");

        JsonNode problem = node.admin("POST", "/admin/v1/providers", spec, 400);

        List<String> fields = problem.path("errors").findValuesAsText("field");
        assertThat(fields).containsExactlyInAnyOrder("keys[1].key", "keys[2].label", "keys[4].label");
        assertThat(problem.toString()).contains("is the same key as keys[0].key")
                .contains("'main' is already the label of keys[0]")
                .contains("'#4' is already the label of keys[3]")
                .doesNotContain("sk-same");
    }

    @Test
    void rejectsVirtualModelsWithUnknownProviders() {
        ObjectNode model = Json.MAPPER.createObjectNode().put("name", "ghost");
        model.putArray("targets").addObject().put("provider", "missing").put("model", "m");

        JsonNode problem = node.admin("POST", "/admin/v1/models", model, 400);

        assertThat(problem.toString()).contains("refers to provider 'missing', which does not exist");
    }

    @Test
    void servesAVirtualModelAddedThroughTheAdminApi() {
        ObjectNode model = Json.MAPPER.createObjectNode().put("name", "added");
        model.putArray("targets").addObject().put("provider", "one").put("model", "gpt-4o-mini");
        node.admin("POST", "/admin/v1/models", model, 201);

        HttpResponse<String> answer = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"added\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(provider.last().body().get("model").asText()).isEqualTo("gpt-4o-mini");
    }
}
