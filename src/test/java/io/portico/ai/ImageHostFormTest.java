package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiException;
import io.portico.config.Json;
import io.portico.node.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Image URLs whose host is an ambiguous numeric IPv4 form are rejected before any lookup. The resolver of this test
 * resolves nothing, so no request leaves the machine whatever the fetcher does.
 */
class ImageHostFormTest {

    private Vertx vertx;
    private final List<String> lookups = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void ambiguousHostsAreRejectedUnresolved() throws Exception {
        ImageFetcher fetcher = new ImageFetcher(vertx, vertx.createHttpClient(),
                new NodeConfig.Images(null, null, null, null), host -> {
                    lookups.add(host);
                    throw new UnknownHostException(host + " is not resolved in this test");
                });
        for (String host : new String[] {"0177.0.0.1", "0x7f000001", "2130706433", "127.0.0.01", "0x7f.0.0.1"}) {
            Future<ObjectNode> inlined = fetcher.inline(body("http://" + host + ":9/i.png"), url -> false);
            Throwable failure = inlined.toCompletionStage().toCompletableFuture()
                    .handle((body, cause) -> cause).get(30, TimeUnit.SECONDS);

            assertThat(failure).as(host).isInstanceOf(AiException.class);
            AiException error = (AiException) failure;
            assertThat(error.error().status()).as(host).isEqualTo(400);
            assertThat(error.getMessage()).as(host).contains("the host " + host + " is an ambiguous IPv4 address");
        }
        assertThat(lookups).isEmpty();
    }

    private static ObjectNode body(String url) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.putArray("messages").addObject().put("role", "user").putArray("content").addObject()
                .put("type", "image_url").putObject("image_url").put("url", url);
        return body;
    }
}
