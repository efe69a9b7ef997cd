package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
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
    void jsonDurationAcceptsMillisecondsAndUnits() {
        assertThat(Durations.parse(IntNode.valueOf(1500))).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse(TextNode.valueOf("30s"))).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void jsonDurationErrorsNameBothForms() {
        String forms = "expected a duration such as 250ms, 5s, 2m or 1h, or a whole number of milliseconds such as"
                + " 1500, at most 365 days";
        assertThatThrownBy(() -> Durations.parse(TextNode.valueOf("5 s")))
                .hasMessage("invalid duration '5 s': " + forms);
        assertThatThrownBy(() -> Durations.parse(TextNode.valueOf("010")))
                .hasMessage("invalid duration '010': " + forms);
        assertThatThrownBy(() -> Durations.parse(DoubleNode.valueOf(1.5)))
                .hasMessage("invalid duration 1.5: " + forms);
        assertThatThrownBy(() -> Durations.parse(TextNode.valueOf("1500")))
                .hasMessage("invalid duration '1500': a whole number of milliseconds must be a JSON number, such as"
                        + " 1500 without quotes, and a string needs a unit, such as '1500ms'");
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
