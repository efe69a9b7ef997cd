package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two Portico nodes sharing one real PostgreSQL store. */
class ClusterTest {

    private static EmbeddedPostgres postgres;
    private static TestUpstream upstream;
    private static TestNode first;
    private static TestNode second;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        upstream = TestUpstream.start("shared");
        Map<String, String> store = Map.of(
                "store.url", postgres.getJdbcUrl("postgres", "postgres"),
                "store.username", "postgres",
                "store.password", "postgres");
        first = TestNode.start(store);
        second = TestNode.start(store);
    }

    @AfterAll
    static void stop() throws Exception {
        second.close();
        first.close();
        upstream.close();
        postgres.close();
    }

    @Test
    void changeOnOneNodeIsServedByOtherWithinOneSecond() throws Exception {
        Configs config = Configs.document();
        config.service("shared", upstream.port());
        config.route("shared", "shared", "/shared");
        long start = System.nanoTime();
        first.apply(config.build());

        int status = 0;
        while (System.nanoTime() - start < 1_000_000_000L) {
            status = CLIENT.send(HttpRequest.newBuilder(URI.create(second.url() + "/shared")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status == 200) {
                break;
            }
            Thread.sleep(20);
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(status).as("status from the second node after %d ms", elapsedMillis).isEqualTo(200);
        assertThat(second.portico().configVersion()).isEqualTo(first.portico().configVersion());
    }
}
