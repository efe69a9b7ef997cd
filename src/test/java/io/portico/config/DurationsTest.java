package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void documentedFormsParse() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("10M")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void surroundingWhitespaceIsRejected() {
        for (String text : new String[] {" 5s", "5s ", "\t5s", "5s\n", "5 s"}) {
            assertThatThrownBy(() -> Durations.parse(text)).as(text)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid duration '" + text + "': expected a number followed by ms, s, m or h");
        }
    }

    @Test
    void nonDecimalNumbersAreRejected() {
        for (String text : new String[] {"0x10s", "0x10", "+5s", "-5s", "1_000ms", "1.5s", "١٢s"}) {
            assertThatThrownBy(() -> Durations.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void yamlReadsOnlyDecimalIntegersAsNumbers() throws Exception {
        JsonNode tree = Json.YAML.readTree("{hex: 0x10, octal: 010, binary: 0b10, grouped: 1_000, plain: 16, "
                + "signed: -16, zero: 0, fraction: 1.5}");

        assertThat(tree.get("hex").isTextual()).isTrue();
        assertThat(tree.get("hex").asText()).isEqualTo("0x10");
        assertThat(tree.get("octal").isTextual()).isTrue();
        assertThat(tree.get("octal").asText()).isEqualTo("010");
        assertThat(tree.get("binary").isTextual()).isTrue();
        assertThat(tree.get("grouped").isTextual()).isTrue();
        assertThat(tree.get("plain").isInt()).isTrue();
        assertThat(tree.get("plain").asInt()).isEqualTo(16);
        assertThat(tree.get("signed").asInt()).isEqualTo(-16);
        assertThat(tree.get("zero").isInt()).isTrue();
        assertThat(tree.get("fraction").isDouble()).isTrue();
    }

    @Test
    void yamlDurationFieldRejectsHexNumber() {
        assertThatThrownBy(() -> Json.YAML.readValue("connect: 0x10", ServiceSpec.Timeouts.class))
                .hasMessageContaining("invalid duration '0x10'");
        assertThatThrownBy(() -> Json.YAML.readValue("connect: ' 5s'", ServiceSpec.Timeouts.class))
                .hasMessageContaining("invalid duration ' 5s'");
    }

    @Test
    void yamlCopyKeepsDecimalRule() throws Exception {
        JsonNode tree = Json.YAML.copy().readTree("hex: 0x10");

        assertThat(tree.get("hex").isTextual()).isTrue();
    }
}
