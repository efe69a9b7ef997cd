package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.config.FieldError;
import io.portico.config.ValidationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Errors in the values of the node file name the field and the expected value. */
class NodeFileErrorsTest {

    /** Checks that a YAML 1.1 boolean word such as yes is text, which a boolean field rejects like any word. */
    @ParameterizedTest
    @ValueSource(strings = {"maybe", "yes", "off"})
    void invalidBooleanNamesField(String word, @TempDir Path directory) throws IOException {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, "metrics:\n  consumerLabels: " + word + "\n");

        assertThatThrownBy(() -> NodeConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).extracting(FieldError::field)
                            .containsExactly("metrics.consumerLabels");
                    assertThat(e.errors().get(0).message())
                            .isEqualTo("invalid value '" + word + "': expected true or false");
                });
    }

    @Test
    void outOfRangeNumberNamesField(@TempDir Path directory) throws IOException {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, """
                http:
                  port: 1000000000000
                """);

        assertThatThrownBy(() -> NodeConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).extracting(FieldError::field).containsExactly("http.port");
                    assertThat(e.errors().get(0).message())
                            .isEqualTo("is out of range: expected a whole number from 0 to 65535");
                });
    }

    @Test
    void severalDocumentsAreRejected(@TempDir Path directory) throws IOException {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, """
                http:
                  port: 8080
                ---
                admin:
                  port: 9080
                """);

        assertThatThrownBy(() -> NodeConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).extracting(FieldError::field).containsExactly(file.toString());
                    assertThat(e.errors().get(0).message())
                            .startsWith("the text contains 2 YAML documents, the second starting at line 3.");
                });
    }

    @Test
    void duplicateKeyNamesLineWithoutText(@TempDir Path directory) throws IOException {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, """
                admin:
                  token: s3cret-admin-token-0123456789
                  token: s3cret-admin-token-9876543210
                """);

        assertThatThrownBy(() -> NodeConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).extracting(FieldError::field).containsExactly(file.toString());
                    assertThat(e.errors().get(0).message())
                            .isEqualTo("is not valid YAML at line 3, column 8: duplicate key 'token'");
                    assertThat(e.getMessage()).doesNotContain("s3cret").doesNotContain("Source");
                });
    }

    @Test
    void storeUrlUserPartIsRejected() {
        Map<String, String> environment = Map.of("PORTICO_STORE_URL",
                "jdbc:postgresql://portico:s3cret-pw@127.0.0.1:5432/portico");

        assertThatThrownBy(() -> NodeConfigLoader.load(null, environment, Map.of()))
                .satisfies(e -> {
                    assertThat(e.getMessage()).contains("store.username");
                    assertThat(e.getMessage()).doesNotContain("s3cret-pw");
                });
    }

    @Test
    void portAbove65535IsRejected() {
        for (String field : new String[] {"http.port", "https.port", "admin.port"}) {
            assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of(field, "99999")))
                    .as(field)
                    .isInstanceOfSatisfying(ValidationException.class, e -> {
                        assertThat(e.errors()).extracting(FieldError::field).containsExactly(field);
                        assertThat(e.errors().get(0).message()).isEqualTo("must be from 0 to 65535, got 99999");
                    });
        }
    }

    @Test
    void rejectedLimitGivesOwnMessage() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("limits.maxHeaderSize", "0")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("limits.maxHeaderSize: must be at least 1024 bytes, got 0")
                .hasMessageNotContaining("limits: limits")
                .hasMessageNotContaining("Cannot construct")
                .hasMessageNotContaining("io.portico");
    }

    @Test
    void sizeLimitsBelowMinimumAreRejected() {
        Map<String, String> tooSmall = Map.of("limits.maxHeaderSize", "10", "limits.maxUriLength", "255",
                "ai.images.maxBytes", "1023", "cache.maxBytes", "1");
        Map<String, String> minimums = Map.of("limits.maxHeaderSize", "1024", "limits.maxUriLength", "256",
                "ai.images.maxBytes", "1024", "cache.maxBytes", "1024");

        tooSmall.forEach((field, value) -> assertThatThrownBy(
                () -> NodeConfigLoader.load(null, Map.of(), Map.of(field, value)))
                .as(field)
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining(field + ": must be at least " + minimums.get(field) + " bytes, got " + value));
        NodeConfig node = NodeConfigLoader.load(null, Map.of(), minimums);
        assertThat(node.limits().maxHeaderSize()).isEqualTo(1024);
        assertThat(node.limits().maxUriLength()).isEqualTo(256);
        assertThat(node.ai().images().maxBytes()).isEqualTo(1024);
        assertThat(node.cache().maxBytes()).isEqualTo(1024);
    }

    @Test
    void negativeMaxBodySizeIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("maxBodySize", "-1")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("maxBodySize must not be negative, got -1");
    }

    @Test
    void retentionOverOneYearIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("store.auditRetention",
                "31536000001")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("store.auditRetention");
    }

    @Test
    void sharedPortIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("http.port", "9090", "admin.port",
                "9090")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("http.port and admin.port are both 9090");
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("metrics.port", "8080")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("http.port and metrics.port are both 8080");
    }

    @Test
    void freePortsMayRepeat() {
        NodeConfig node = NodeConfigLoader.load(null, Map.of(), Map.of("http.port", "0", "https.port", "0",
                "admin.port", "0", "metrics.port", "0"));

        assertThat(node.admin().port()).isZero();
    }
}
