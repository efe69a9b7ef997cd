package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings left empty in a node settings file, which YAML reads as null. */
class EmptyNodeSettingsTest {

    @TempDir
    Path directory;

    @Test
    void emptySettingsTakeDefaults() throws Exception {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, """
                limits:
                  maxHeaderSize:
                  headerTimeout:
                drainTimeout:
                requestIdHeader:
                """);

        NodeConfig node = NodeConfigLoader.load(file, Map.of(), Map.of());

        assertThat(node.limits().maxHeaderSize()).isEqualTo(16 * 1024);
        assertThat(node.limits().headerTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(node.requestIdHeader()).isEqualToIgnoringCase("X-Request-Id");
        assertThat(node.drainTimeout()).isEqualTo(NodeConfigLoader.load(null, Map.of(), Map.of()).drainTimeout());
    }
}
