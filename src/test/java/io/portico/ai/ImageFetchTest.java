package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.net.AddressRules;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Images given by URL, fetched and sent inline for providers that accept only inline images. */
class ImageFetchTest {

    /** The first bytes of a PNG file, enough for type detection. */
    private static final byte[] PNG = Base64.getDecoder().decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB");
    /** A PNG of 400,000 bytes, large enough to be encoded on a worker thread. */
    private static final byte[] LARGE_PNG = java.util.Arrays.copyOf(PNG, 400_000);

    private static Vertx vertx;
    private static HttpServer images;
    private static OpenAiMock provider;
    /** The Accept-Encoding header of the last request for the compressed image, or "none". */
    private static final AtomicReference<String> COMPRESSED_ACCEPT_ENCODING = new AtomicReference<>();
    private static TestNode trusting;
    private static TestNode guarded;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        images = vertx.createHttpServer().requestHandler(request -> {
            if (request.path().equals("/cat.png")) {
                // Declared as JPEG, but the bytes are a PNG.
                request.response().putHeader("content-type", "image/jpeg").end(Buffer.buffer(PNG));
            } else if (request.path().equals("/large.png")) {
                request.response().putHeader("content-type", "image/jpeg").end(Buffer.buffer(LARGE_PNG));
            } else if (request.path().equals("/stall.png")) {
                // The head and the first bytes, then silence for 20 seconds before the rest.
                request.response().setChunked(true).putHeader("content-type", "image/png").write(Buffer.buffer(PNG));
                vertx.setTimer(20_000, id -> request.response().end());
            } else if (request.path().equals("/trickle.png")) {
                trickle(request.response());
            } else if (request.path().equals("/gzip.png")) {
                // 5 MB of zeros in about 5 KB of gzip, sent compressed whatever the request asked for.
                String accepted = request.getHeader("accept-encoding");
                COMPRESSED_ACCEPT_ENCODING.set(accepted == null ? "none" : accepted);
                request.response().putHeader("content-type", "image/png").putHeader("content-encoding", "gzip")
                        .end(Buffer.buffer(gzip(new byte[5_000_000])));
            } else if (request.path().equals("/big.png")) {
                request.response().putHeader("content-type", "image/png").end(Buffer.buffer(new byte[600_000]));
            } else {
                request.response().setStatusCode(302).putHeader("location", "http://169.254.169.254/").end();
            }
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
        provider = new OpenAiMock("local", "sk-local");
        trusting = TestNode.start(Map.of("ai.images.allowPrivateAddresses", "true", "ai.images.maxBytes", "500000",
                "ai.images.timeout", "3s", "ai.images.totalTimeout", "6s"));
        guarded = TestNode.start();
        for (TestNode node : new TestNode[] {trusting, guarded}) {
            Configs config = Configs.document();
            config.provider("local", "lmstudio", provider.baseUrl(), "sk-local");
            config.aiRoute("ai", "/v1");
            node.apply(config.build());
        }
    }

    /** Sends an image head, then one byte every 500 ms for 20 seconds, never silent for long. */
    private static void trickle(HttpServerResponse response) {
        response.setChunked(true).putHeader("content-type", "image/png").write(Buffer.buffer(PNG));
        long started = System.nanoTime();
        long periodic = vertx.setPeriodic(500, id -> {
            if (System.nanoTime() - started > 20_000_000_000L) {
                vertx.cancelTimer(id);
                response.end();
            } else {
                response.write(Buffer.buffer(new byte[] {0}));
            }
        });
        response.closeHandler(closed -> vertx.cancelTimer(periodic));
    }

    private static byte[] gzip(byte[] content) {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(compressed)) {
            out.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return compressed.toByteArray();
    }

    @AfterAll
    static void stop() {
        trusting.close();
        guarded.close();
        provider.close();
        vertx.close();
    }

    private static HttpResponse<String> ask(TestNode node, String path) {
        return askUrl(node, "http://127.0.0.1:" + images.actualPort() + path);
    }

    private static HttpResponse<String> askUrl(TestNode node, String url) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"local/llava","messages":[{"role":"user","content":[{"type":"text","text":"What is it?"},
                 {"type":"image_url","image_url":{"url":"%s"}}]}]}""".formatted(url));
    }

    @Test
    void sendsTheImageInlineWithItsRealType() {
        HttpResponse<String> response = ask(trusting, "/cat.png");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode part = provider.last().body().at("/messages/0/content/1/image_url/url");
        assertThat(part.asText()).isEqualTo("data:image/png;base64," + Base64.getEncoder().encodeToString(PNG));
    }

    @Test
    void sendsLargeImageInlineWithItsRealType() {
        HttpResponse<String> response = ask(trusting, "/large.png");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode part = provider.last().body().at("/messages/0/content/1/image_url/url");
        assertThat(part.asText()).isEqualTo("data:image/png;base64,"
                + Base64.getEncoder().encodeToString(LARGE_PNG));
    }

    @Test
    void imageUrlSpellingsAreFetched() {
        String expected = "data:image/png;base64," + Base64.getEncoder().encodeToString(PNG);
        for (String url : new String[] {"HTTP://127.0.0.1:" + images.actualPort() + "/cat.png",
            "Http://127.0.0.1.:" + images.actualPort() + "/cat.png"}) {
            HttpResponse<String> response = askUrl(trusting, url);

            assertThat(response.statusCode()).as(url + ": " + response.body()).isEqualTo(200);
            JsonNode part = provider.last().body().at("/messages/0/content/1/image_url/url");
            assertThat(part.asText()).as(url).isEqualTo(expected);
        }
    }

    @Test
    void providerUrlSpellingsAreCalled() {
        String baseUrl = provider.baseUrl().replace("http://127.0.0.1:", "HTTP://127.0.0.1.:");
        ObjectNode spelled = Json.MAPPER.createObjectNode().put("name", "spelled").put("type", "lmstudio")
                .put("baseUrl", baseUrl);
        spelled.putArray("keys").addObject().put("key", "sk-local");
        trusting.admin("POST", "/admin/v1/providers", spelled, 201);
        int before = provider.received().size();

        HttpResponse<String> response = AiTestClient.post(trusting.url() + "/v1/chat/completions", """
                {"model":"spelled/llava","messages":[{"role":"user","content":"Hi"}]}""");

        trusting.admin("DELETE", "/admin/v1/providers/spelled", null, 204);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(provider.received()).hasSize(before + 1);
    }

    @Test
    void trailingDotLoopbackIsRejectedByDefault() {
        int before = provider.received().size();

        HttpResponse<String> response = askUrl(guarded, "HTTP://127.0.0.1.:" + images.actualPort() + "/cat.png");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("resolves to the loopback address 127.0.0.1");
        assertThat(provider.received()).hasSize(before);
    }

    @Test
    void rejectsImagesOnPrivateAddressesByDefault() {
        int before = provider.received().size();

        HttpResponse<String> response = ask(guarded, "/cat.png");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = AiTestClient.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("invalid_image_url");
        assertThat(error.get("message").asText()).contains("resolves to the loopback address 127.0.0.1");
        assertThat(provider.received()).hasSize(before);
    }

    @Test
    void rejectsImagesOverTheSizeLimit() {
        HttpResponse<String> response = ask(trusting, "/big.png");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/message").asText()).contains("larger than 500000 bytes");
    }

    @Test
    void compressedImageIsNotDecompressed() {
        HttpResponse<String> response = ask(trusting, "/gzip.png");

        assertThat(COMPRESSED_ACCEPT_ENCODING.get()).isEqualTo("none");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("was sent with content coding gzip");
    }

    @Test
    void silentBodyTimesOut() {
        long started = System.nanoTime();

        HttpResponse<String> response = ask(trusting, "/stall.png");

        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("no bytes arrived for ai.images.timeout (3000 ms)");
        assertThat(elapsedMillis).isLessThan(10_000);
    }

    @Test
    void tricklingBodyTimesOutInTotal() {
        long started = System.nanoTime();

        HttpResponse<String> response = ask(trusting, "/trickle.png");

        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("took longer than ai.images.totalTimeout (6000 ms)");
        assertThat(elapsedMillis).isLessThan(15_000);
    }

    @Test
    void doesNotFollowRedirects() {
        HttpResponse<String> response = ask(trusting, "/redirect");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/message").asText()).contains("returned status 302");
    }

    @Test
    void tellsPublicFromOtherAddresses() throws UnknownHostException {
        for (String address : new String[] {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1"}) {
            assertThat(AddressRules.isPublic(InetAddress.getByName(address))).as(address).isFalse();
        }
        assertThat(AddressRules.isPublic(InetAddress.getByName("93.184.216.34"))).isTrue();
        assertThat(AddressRules.isPublic(InetAddress.getByName("2606:4700::1111"))).isTrue();
    }
}
