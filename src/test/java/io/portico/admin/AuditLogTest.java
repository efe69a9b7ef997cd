package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.Specs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The audit log on a real node with the embedded store: recording, filters, paging and export. */
class AuditLogTest {

    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start();
        node.adminRaw("POST", "/admin/v1/services", Json.MAPPER.readTree(Specs.service("web")),
                Map.of("X-Request-Id", "req-create-web"));
        node.admin("PATCH", "/admin/v1/services/web", Json.MAPPER.readTree("{\"protocol\": \"https\"}"), 200);
        node.admin("POST", "/admin/v1/certificates", Json.MAPPER.readTree(Specs.certificate("tls", Specs.KEY)), 201);
        node.admin("DELETE", "/admin/v1/services/web", null, 204);
        Configs document = Configs.document();
        document.service("api", 8081);
        document.route("api", "api", "/api");
        node.apply(document.build());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void changesAreRecordedNewestFirst() {
        JsonNode items = node.admin("GET", "/admin/v1/audit", null, 200).path("items");

        assertThat(items).extracting(item -> item.path("operation").asText() + " " + item.path("kind").asText()
                + "/" + item.path("name").asText())
                .startsWith("delete certificates/tls", "create routes/api", "create services/api",
                        "delete services/web", "create certificates/tls", "update services/web",
                        "create services/web");
    }

    @Test
    void entryNamesWhoWhenAndWhere() {
        JsonNode created = find("create", "services", "web");

        assertThat(created.path("actor").asText()).isEqualTo("admin-token");
        assertThat(created.path("requestId").asText()).isEqualTo("req-create-web");
        assertThat(created.path("clientAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(created.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(created.path("before").isNull()).isTrue();
        assertThat(created.path("after").path("targets").get(0).path("port").asInt()).isEqualTo(8081);
    }

    @Test
    void updateKeepsBeforeAndAfter() {
        JsonNode updated = find("update", "services", "web");

        assertThat(updated.path("before").has("protocol")).isFalse();
        assertThat(updated.path("after").path("protocol").asText()).isEqualTo("https");
        assertThat(updated.path("storeVersion").asLong()).isGreaterThan(find("create", "services", "web")
                .path("storeVersion").asLong());
    }

    @Test
    void secretsAreMasked() {
        HttpResponse<String> raw = node.adminRaw("GET", "/admin/v1/audit?kind=certificates", null);

        assertThat(raw.body()).doesNotContain("PRIVATE KEY").contains("secret:sha256:");
    }

    @Test
    void applyRecordsItsChanges() {
        JsonNode routes = node.admin("GET", "/admin/v1/audit?kind=routes", null, 200).path("items");

        assertThat(routes).hasSize(1);
        assertThat(routes.get(0).path("requestId").asText()).isNotEmpty();
        assertThat(routes.get(0).path("actor").asText()).isEqualTo("admin-token");
    }

    @Test
    void filtersNarrowTheLog() {
        JsonNode deletes = node.admin("GET", "/admin/v1/audit?operation=delete", null, 200).path("items");
        JsonNode web = node.admin("GET", "/admin/v1/audit?kind=services&name=web", null, 200).path("items");
        JsonNode future = node.admin("GET", "/admin/v1/audit?since=2999-01-01T00:00:00Z", null, 200).path("items");
        JsonNode nobody = node.admin("GET", "/admin/v1/audit?actor=user:nobody", null, 200).path("items");

        assertThat(deletes).extracting(item -> item.path("name").asText()).containsExactly("tls", "web");
        assertThat(web).hasSize(3);
        assertThat(future).isEmpty();
        assertThat(nobody).isEmpty();
    }

    @Test
    void pagesFollowTheCursor() {
        JsonNode first = node.admin("GET", "/admin/v1/audit?limit=2", null, 200);
        JsonNode second = node.admin("GET", "/admin/v1/audit?limit=2&cursor=" + first.path("next").asText(), null,
                200);
        JsonNode all = node.admin("GET", "/admin/v1/audit?limit=1000", null, 200);

        assertThat(first.path("items")).hasSize(2);
        assertThat(second.path("items")).hasSize(2);
        assertThat(second.path("items").get(0).path("id").asLong())
                .isLessThan(first.path("items").get(1).path("id").asLong());
        assertThat(all.path("next").isNull()).isTrue();
    }

    @Test
    void exportWritesJsonLines() throws Exception {
        HttpResponse<String> response = node.adminRaw("GET", "/admin/v1/audit/export?kind=services", null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/jsonl");
        List<String> lines = response.body().lines().toList();
        assertThat(lines).hasSize(4);
        for (String line : lines) {
            assertThat(Json.MAPPER.readTree(line).path("kind").asText()).isEqualTo("services");
        }
    }

    @Test
    void invalidFiltersAreRejected() {
        for (String query : List.of("limit=0", "limit=1001", "limit=x", "since=yesterday", "cursor=abc")) {
            HttpResponse<String> response = node.adminRaw("GET", "/admin/v1/audit?" + query, null);

            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type")).as(query).contains("application/problem+json");
        }
    }

    @Test
    void responsesCarryRequestId() {
        HttpResponse<String> chosen = node.adminRaw("GET", "/admin/v1/status", null, Map.of("X-Request-Id", "abc-1"));
        HttpResponse<String> invalid = node.adminRaw("GET", "/admin/v1/status", null,
                Map.of("X-Request-Id", "has spaces"));

        assertThat(chosen.headers().firstValue("X-Request-Id")).contains("abc-1");
        assertThat(invalid.headers().firstValue("X-Request-Id")).hasValueSatisfying(id -> assertThat(id)
                .matches("[0-9a-f-]{36}"));
    }

    private static JsonNode find(String operation, String kind, String name) {
        for (JsonNode item : node.admin("GET", "/admin/v1/audit?limit=1000", null, 200).path("items")) {
            if (item.path("operation").asText().equals(operation) && item.path("kind").asText().equals(kind)
                    && item.path("name").asText().equals(name)) {
                return item;
            }
        }
        throw new AssertionError("no audit entry for " + operation + " " + kind + "/" + name);
    }
}
