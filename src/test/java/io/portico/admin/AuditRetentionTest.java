package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.config.ValidationException;
import io.portico.node.NodeConfigLoader;
import io.portico.testing.Conditions;
import io.portico.testing.Specs;
import io.portico.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Deletion of old audit entries by a node with {@code store.auditRetention}, on the embedded store. */
class AuditRetentionTest {

    @Test
    void nodeDeletesOldEntriesAtStart() throws Exception {
        Path data = Files.createTempDirectory("portico-audit-");
        try (TestNode keeping = TestNode.start(Map.of("dataDirectory", data.toString()))) {
            keeping.admin("POST", "/admin/v1/services", Json.MAPPER.readTree(Specs.service("old")), 201);
            assertThat(entries(keeping)).hasSize(1);
        }

        try (TestNode deleting = TestNode.start(Map.of("dataDirectory", data.toString(),
                "store.auditRetention", "1ms"))) {
            Conditions.eventually("the entry older than the retention is deleted",
                    () -> entries(deleting).isEmpty());
            deleting.admin("POST", "/admin/v1/services", Json.MAPPER.readTree(Specs.service("new")), 201);

            assertThat(entries(deleting)).extracting(entry -> entry.path("name").asText()).containsExactly("new");
            assertThat(deleting.admin("GET", "/admin/v1/services/old", null, 200).path("name").asText())
                    .isEqualTo("old");
        }
    }

    @Test
    void nodeWithoutRetentionKeepsEntries() throws Exception {
        try (TestNode node = TestNode.start()) {
            node.admin("POST", "/admin/v1/services", Json.MAPPER.readTree(Specs.service("kept")), 201);

            assertThat(entries(node)).hasSize(1);
            assertThat(node.portico().node().store().auditRetention()).isNull();
        }
    }

    @Test
    void zeroRetentionIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("store.auditRetention", "0s")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("store.auditRetention: must be positive");
    }

    private static JsonNode entries(TestNode node) {
        return node.admin("GET", "/admin/v1/audit", null, 200).path("items");
    }
}
