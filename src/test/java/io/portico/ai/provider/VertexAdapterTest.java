package io.portico.ai.provider;

import static io.portico.ai.provider.GoogleFixtures.json;
import static io.portico.ai.provider.GoogleFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.catalog.ModelCatalog;
import io.portico.ai.spi.AdapterContext;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ProviderCall;
import io.portico.config.Errors;
import io.portico.config.FieldError;
import io.portico.config.ProviderSpec;
import io.portico.testing.GoogleServiceAccounts;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class VertexAdapterTest {

    private static Vertx vertx;
    private static VertexAdapter adapter;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        adapter = new VertexAdapter(new AdapterContext(vertx, vertx.createHttpClient(), ModelCatalog.builtIn()));
    }

    @AfterAll
    static void stop() {
        GoogleFixtures.await(vertx.close());
    }

    private static CallTarget target(String region, String model, String key) {
        ProviderSpec spec = GoogleFixtures.vertex(null, region, null, null);
        return GoogleFixtures.target(spec, VertexAdapter.defaultBaseUrl("global"), model, key);
    }

    @Test
    void geminiModelUsesRegionalEndpoint() {
        ProviderCall call = adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"),
                target("europe-west4", "gemini-2.5-pro", "ya29.ready"));

        assertThat(call.url()).isEqualTo("https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-1/"
                + "locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent");
        assertThat(call.headers().get("authorization")).isEqualTo("Bearer ya29.ready");
        assertThat(Wire.parse(call.body())).isEqualTo(json("{'contents':[{'role':'user','parts':[{'text':'Hi'}]}]}"));
    }

    @Test
    void globalLocationUsesGlobalEndpoint() {
        ProviderCall call = adapter.chat(request("{'stream':true,'messages':[{'role':'user','content':'Hi'}]}"),
                target("global", "gemini-2.5-flash", null));

        assertThat(call.url()).isEqualTo("https://aiplatform.googleapis.com/v1/projects/proj-1/locations/global/"
                + "publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        assertThat(call.headers().contains("authorization")).isFalse();
    }

    @Test
    void configuredBaseUrlWins() {
        ProviderSpec spec = GoogleFixtures.vertex("http://127.0.0.1:9/v1", "us-central1", null, null);
        CallTarget target = GoogleFixtures.target(spec, "http://127.0.0.1:9/v1", "gemini-2.5-flash", "t");

        ProviderCall call = adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"), target);

        assertThat(call.url()).startsWith("http://127.0.0.1:9/v1/projects/proj-1/locations/us-central1/");
    }

    @Test
    void claudeModelUsesRawPredict() {
        ProviderCall call = adapter.chat(request("""
                {'messages':[{'role':'system','content':'Be brief.'},{'role':'user','content':'Hi'}],
                 'max_tokens':100,'temperature':0.5,'stream':true}
                """), target("us-east5", "claude-sonnet-4-5@20250929", "ya29.ready"));

        assertThat(call.url()).isEqualTo("https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/"
                + "locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict");
        assertThat(Wire.parse(call.body())).isEqualTo(json("""
                {'anthropic_version':'vertex-2023-10-16','system':'Be brief.',
                 'messages':[{'role':'user','content':[{'type':'text','text':'Hi'}]}],
                 'max_tokens':100,'temperature':0.5,'stream':true}
                """));
    }

    @Test
    void claudeResponseTranslatesAsAnthropic() {
        JsonNode body = json("""
                {'id':'msg_1','type':'message','role':'assistant','model':'claude-sonnet-4-5',
                 'content':[{'type':'text','text':'Hello.'}],'stop_reason':'max_tokens',
                 'usage':{'input_tokens':8,'output_tokens':2}}
                """);

        var response = adapter.chatResponse(body, request("{'messages':[]}"),
                target("us-east5", "claude-sonnet-4-5@20250929", null));

        assertThat(response.at("/choices/0/message/content").asText()).isEqualTo("Hello.");
        assertThat(response.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(response.at("/usage/prompt_tokens").asLong()).isEqualTo(8);
    }

    @Test
    void httpsImagesBecomeFileData() {
        ProviderCall call = adapter.chat(request(GeminiAdapterTest.imageRequest("https://example.com/cat.webp")),
                target("us-central1", "gemini-2.5-flash", "t"));

        assertThat(Wire.parse(call.body()).at("/contents/0/parts/0")).isEqualTo(json(
                "{'fileData':{'mimeType':'image/webp','fileUri':'https://example.com/cat.webp'}}"));
    }

    @Test
    void embeddingsUsePredict() {
        var request = (com.fasterxml.jackson.databind.node.ObjectNode) json(
                "{'input':'hello world','dimensions':256}");
        CallTarget target = target("us-central1", "text-embedding-005", "t");

        ProviderCall call = adapter.embeddings(request, target);
        JsonNode response = adapter.embeddingsResponse(json("""
                {'predictions':[{'embeddings':{'values':[0.1,0.2],'statistics':{'token_count':2,'truncated':false}}}]}
                """), request, target);

        assertThat(call.url()).endsWith("/publishers/google/models/text-embedding-005:predict");
        assertThat(Wire.parse(call.body())).isEqualTo(json(
                "{'instances':[{'content':'hello world'}],'parameters':{'outputDimensionality':256}}"));
        assertThat(response.at("/data/0/embedding")).isEqualTo(json("[0.1,0.2]"));
        assertThat(response.at("/usage/prompt_tokens").asLong()).isEqualTo(2);
    }

    @Test
    void validatorRequiresProjectRegionAndCredentials() {
        ProviderType type = ProviderTypes.find("vertex").orElseThrow();
        ProviderSpec empty = GoogleFixtures.spec("vertex", null, Map.of(), null, null, null, null);

        Errors errors = new Errors();
        type.validator().accept(empty, errors);

        assertThat(errors.list()).extracting(FieldError::field)
                .containsExactlyInAnyOrder("project", "region", "serviceAccount");
        assertThat(type.keyRequired()).isFalse();
    }

    @Test
    void validatorRejectsBadServiceAccountAndRegion() {
        ProviderType type = ProviderTypes.find("vertex").orElseThrow();
        ProviderSpec spec = GoogleFixtures.spec("vertex", null, Map.of(), "evil.example/x", "p",
                "{\"client_email\":\"a@b\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n"
                        + "-----END PRIVATE KEY-----\\n\"}", null);

        Errors errors = new Errors();
        type.validator().accept(spec, errors);

        assertThat(errors.list()).extracting(FieldError::field).containsExactlyInAnyOrder("region",
                "serviceAccount");
        assertThat(errors.list()).extracting(FieldError::message).doesNotContain("AAAA");
    }

    @Test
    void validatorAcceptsServiceAccount() {
        KeyPair keys = GoogleServiceAccounts.rsaKeyPair();
        ProviderSpec spec = GoogleFixtures.vertex(null, "us-central1",
                GoogleServiceAccounts.keyJson(keys, GoogleServiceAccount.DEFAULT_TOKEN_URI), null);

        Errors errors = new Errors();
        ProviderTypes.find("vertex").orElseThrow().validator().accept(spec, errors);

        assertThat(errors.list()).isEmpty();
    }

    @Test
    void assertionIsSignedJwt() throws Exception {
        KeyPair keys = GoogleServiceAccounts.rsaKeyPair();
        GoogleServiceAccount account = GoogleServiceAccount.parse(
                GoogleServiceAccounts.keyJson(keys, "https://oauth2.googleapis.com/token"));
        Instant now = Instant.ofEpochSecond(1_750_000_000);

        String[] pieces = account.assertion("https://oauth2.googleapis.com/token",
                GoogleServiceAccount.CLOUD_PLATFORM_SCOPE, now).split("\\.");

        assertThat(pieces).hasSize(3);
        assertThat(Wire.parse(decode(pieces[0]))).isEqualTo(json(
                "{'alg':'RS256','typ':'JWT','kid':'key-1'}"));
        assertThat(Wire.parse(decode(pieces[1]))).isEqualTo(json("""
                {'iss':'portico@proj-1.iam.gserviceaccount.com',
                 'scope':'https://www.googleapis.com/auth/cloud-platform',
                 'aud':'https://oauth2.googleapis.com/token','iat':1750000000,'exp':1750003600}
                """));
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(keys.getPublic());
        verifier.update((pieces[0] + "." + pieces[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(verifier.verify(Base64.getUrlDecoder().decode(pieces[2]))).isTrue();
        assertThat(account.toString()).doesNotContain("PRIVATE");
    }

    private static String decode(String piece) {
        return new String(Base64.getUrlDecoder().decode(piece), StandardCharsets.UTF_8);
    }

    @Test
    void parseNamesMissingFields() {
        assertThatThrownBy(() -> GoogleServiceAccount.parse("not json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON");
        assertThatThrownBy(() -> GoogleServiceAccount.parse("{}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("has no client_email");
        assertThatThrownBy(() -> GoogleServiceAccount.parse("{\"client_email\":\"a@b\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("has no private_key");
    }
}
