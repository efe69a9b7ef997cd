package io.portico.admin;

import static io.portico.testing.AdminFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.node.NodeConfig;
import io.portico.problem.ProblemType;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.portico.store.JdbcConfigStore;
import io.portico.store.TestPostgres;
import io.portico.testing.ForwardingConfigStore;
import io.portico.testing.InMemoryAccountStore;
import io.portico.testing.StoreSnapshotSource;
import io.portico.testing.TestKeys;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code PUT} with {@code If-None-Match: *} of a resource that another writer creates between the request's read and
 * its commit, on the embedded H2 store and on a real PostgreSQL server.
 */
class CreateRaceTest {

    private static final String TOKEN = "pat_test-token-0123456789";

    private static TestPostgres postgres;

    @TempDir
    Path dataDirectory;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = TestPostgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void createdAfterReadIsPreconditionFailed(String database) throws Exception {
        try (JdbcConfigStore jdbc = open(database)) {
            CreatingAfterRead store = new CreatingAfterRead(jdbc, "services", "race");
            Vertx vertx = Vertx.vertx();
            AdminServer server = new AdminServer(vertx, new NodeConfig.AdminListener("127.0.0.1", 0, null), TOKEN,
                    store, new InMemoryAccountStore(), new StoreSnapshotSource(vertx, store), () -> true);
            try {
                int port = await(server.start());

                HttpResponse<String> response = put(port, "/admin/v1/services/race", service(9001),
                        "If-None-Match", "*");

                assertThat(store.created()).as("the other writer created the service").isTrue();
                assertThat(response.statusCode()).as(response.body()).isEqualTo(412);
                assertThat(Json.MAPPER.readTree(response.body()).path("type").asText())
                        .isEqualTo(ProblemType.PRECONDITION_FAILED.uri());
                assertThat(Json.MAPPER.readTree(response.body()).path("detail").asText())
                        .isEqualTo("services/race already exists");
                assertThat(jdbc.get("services", "race").orElseThrow().spec().path("targets").path(0).path("port")
                        .asInt()).as("the other writer's service is kept").isEqualTo(9000);
            } finally {
                await(server.stop());
                await(vertx.close());
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "h2         | ''            | ''          | 428",
        "h2         | If-None-Match | \"a\", \"b\" | 428",
        "h2         | If-None-Match | \"1\"       | 412",
        "postgresql | ''            | ''          | 428",
        "postgresql | If-None-Match | \"1\"       | 412",
    })
    void lostCreateRaceAnswersAsRepeat(String database, String field, String value, int status) throws Exception {
        String[] headers = field.isEmpty() ? new String[0] : new String[] {field, value};
        try (JdbcConfigStore jdbc = open(database)) {
            CreatingAfterRead store = new CreatingAfterRead(jdbc, "services", "race");
            Vertx vertx = Vertx.vertx();
            AdminServer server = new AdminServer(vertx, new NodeConfig.AdminListener("127.0.0.1", 0, null), TOKEN,
                    store, new InMemoryAccountStore(), new StoreSnapshotSource(vertx, store), () -> true);
            try {
                int port = await(server.start());

                HttpResponse<String> raced = put(port, "/admin/v1/services/race", service(9001), headers);
                HttpResponse<String> repeated = put(port, "/admin/v1/services/race", service(9001), headers);

                assertThat(store.created()).as("the other writer created the service").isTrue();
                assertThat(raced.statusCode()).as(raced.body()).isEqualTo(status);
                assertThat(repeated.statusCode()).as(repeated.body()).isEqualTo(status);
                assertThat(Json.MAPPER.readTree(raced.body()).path("detail").asText())
                        .isEqualTo(Json.MAPPER.readTree(repeated.body()).path("detail").asText());
                assertThat(jdbc.get("services", "race").orElseThrow().spec().path("targets").path(0).path("port")
                        .asInt()).as("the other writer's service is kept").isEqualTo(9000);
            } finally {
                await(server.stop());
                await(vertx.close());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void concurrentCreatesHaveOneWinner(String database) throws Exception {
        Map<String, String> settings = database.equals("h2") ? Map.of() : Map.of("store.url", postgres.newDatabase(),
                "store.username", "postgres", "store.password", "postgres");
        int writers = 8;
        try (TestNode node = TestNode.start(settings)) {
            ExecutorService threads = Executors.newFixedThreadPool(writers);
            try {
                List<Future<HttpResponse<String>>> responses = new ArrayList<>();
                for (int i = 0; i < writers; i++) {
                    int port = 9000 + i;
                    Callable<HttpResponse<String>> request = () -> node.adminRaw("PUT", "/admin/v1/services/race",
                            Json.MAPPER.readTree(service(port)), Map.of("If-None-Match", "*"));
                    responses.add(threads.submit(request));
                }
                List<Integer> statuses = new ArrayList<>();
                for (Future<HttpResponse<String>> response : responses) {
                    statuses.add(response.get().statusCode());
                }

                assertThat(statuses).filteredOn(status -> status == 201).hasSize(1);
                assertThat(statuses).filteredOn(status -> status != 201).containsOnly(412);
            } finally {
                threads.shutdownNow();
            }
        }
    }

    private JdbcConfigStore open(String database) throws Exception {
        return database.equals("h2") ? JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING)
                : JdbcConfigStore.open(postgres.newDatabase(), "postgres", "postgres", TestKeys.KEYRING);
    }

    private static String service(int port) {
        return "{\"targets\":[{\"host\":\"127.0.0.1\",\"port\":" + port + "}]}";
    }

    private static HttpResponse<String> put(int port, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A store that commits a competing create of one resource right after the first read of it returns, so that the
     * reader saw the resource absent and finds it present when it commits.
     */
    private static final class CreatingAfterRead extends ForwardingConfigStore {

        private final String kind;
        private final String name;
        private final AtomicBoolean created = new AtomicBoolean();

        CreatingAfterRead(ConfigStore store, String kind, String name) {
            super(store);
            this.kind = kind;
            this.name = name;
        }

        boolean created() {
            return created.get();
        }

        @Override
        public Optional<Resource> get(String kind, String name) {
            Optional<Resource> read = delegate().get(kind, name);
            if (kind.equals(this.kind) && name.equals(this.name) && created.compareAndSet(false, true)) {
                try {
                    ObjectNode spec = (ObjectNode) Json.MAPPER.readTree(service(9000));
                    delegate().commit(List.of(Change.create(kind, name, spec.put("name", name))));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            }
            return read;
        }
    }
}
