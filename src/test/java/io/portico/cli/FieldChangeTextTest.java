package io.portico.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.config.Json;
import io.portico.declarative.FieldChange;
import org.junit.jupiter.api.Test;

class FieldChangeTextTest {

    @Test
    void plainTextIsUnquoted() {
        for (String plain : new String[] {"10.0.0.2", "30s", "/api", "round-robin", "secret:sha256:0a1b2c3d"}) {
            assertThat(FieldChangeText.value(TextNode.valueOf(plain))).as(plain).isEqualTo(plain);
        }
    }

    @Test
    void ambiguousTextIsQuoted() {
        for (String ambiguous : new String[] {"80", "1.5", "-2", "0x1F", "true", "No", "null", "~", ""}) {
            assertThat(FieldChangeText.value(TextNode.valueOf(ambiguous))).as(ambiguous)
                    .isEqualTo("\"" + ambiguous + "\"");
        }
    }

    @Test
    void controlCharactersAreEscaped() {
        String pem = "-----BEGIN CERTIFICATE-----\nMIIB\n";

        assertThat(FieldChangeText.value(TextNode.valueOf(pem)))
                .isEqualTo("\"-----BEGIN CERTIFICATE-----\\nMIIB\\n\"");
        assertThat(FieldChangeText.value(TextNode.valueOf("a\u001b[31mb"))).isEqualTo("\"a\\u001B[31mb\"");
    }

    @Test
    void containersUseFlowStyle() throws Exception {
        JsonNode value = Json.MAPPER.readTree("""
                {"targets": [{"host": "10.0.0.2", "port": 80}], "X Header": "Bearer x", "empty": [], "on": true}""");

        assertThat(FieldChangeText.value(value))
                .isEqualTo("{targets: [{host: 10.0.0.2, port: 80}], \"X Header\": \"Bearer x\", empty: [],"
                        + " \"on\": true}");
    }

    @Test
    void linesStartWithOperation() {
        TextNode old = TextNode.valueOf("30s");
        TextNode changed = TextNode.valueOf("10s");

        assertThat(FieldChangeText.line(FieldChange.replace("timeouts.read", old, changed, false)))
                .isEqualTo("~ timeouts.read: 30s -> 10s");
        assertThat(FieldChangeText.line(FieldChange.add("timeouts.read", changed, false)))
                .isEqualTo("+ timeouts.read: 10s");
        assertThat(FieldChangeText.line(FieldChange.remove("timeouts.read", old, false)))
                .isEqualTo("- timeouts.read: 30s");
    }
}
