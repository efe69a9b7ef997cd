package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** How {@link Json#YAML} reads empty values and anchors on mapping keys. */
class YamlTreeTest {

    @Test
    void emptyValueIsNull() throws Exception {
        JsonNode tree = Json.YAML.readTree("""
                empty:
                tilde: ~
                single: ''
                double: ""
                nested: {inner: }
                list:
                  -
                  - a
                anchored: &nothing
                alias: *nothing
                """);

        assertThat(tree.get("empty").isNull()).as("empty").isTrue();
        assertThat(tree.get("tilde").isNull()).as("tilde").isTrue();
        assertThat(tree.get("single").isTextual()).as("single").isTrue();
        assertThat(tree.get("single").asText()).isEmpty();
        assertThat(tree.get("double").isTextual()).as("double").isTrue();
        assertThat(tree.get("double").asText()).isEmpty();
        assertThat(tree.at("/nested/inner").isNull()).as("nested").isTrue();
        assertThat(tree.at("/list/0").isNull()).as("list element").isTrue();
        assertThat(tree.at("/list/1").asText()).isEqualTo("a");
        assertThat(tree.get("anchored").isNull()).as("anchored").isTrue();
        assertThat(tree.get("alias").isNull()).as("alias").isTrue();
    }

    @Test
    void keyAnchorMarksKeyText() throws Exception {
        JsonNode tree = Json.YAML.readTree("""
                &key name: web
                copy: *key
                mapping: &map {&first a: 1, &second b: &value 2}
                copies: [*map, *first, *second, *value]
                """);

        assertThat(tree.get("name").asText()).isEqualTo("web");
        assertThat(tree.get("copy").asText()).isEqualTo("name");
        assertThat(tree.at("/copies/0/a").asInt()).isEqualTo(1);
        assertThat(tree.at("/copies/0/b").asInt()).isEqualTo(2);
        assertThat(tree.at("/copies/1").asText()).isEqualTo("a");
        assertThat(tree.at("/copies/2").asText()).isEqualTo("b");
        assertThat(tree.at("/copies/3").asInt()).isEqualTo(2);
    }

    @Test
    void firstKeyTakesNoMappingAnchor() {
        assertThatThrownBy(() -> Json.YAML.readTree("m: &m {x: *m}\n"))
                .isInstanceOf(YamlTreeDeserializer.AliasException.class)
                .hasMessageContaining("the alias *m refers to no anchor &m before it");
    }

    @Test
    void aliasAsKeyIsRejected() {
        assertThatThrownBy(() -> Json.YAML.readTree("&k a: 1\n*k : 2\n"))
                .isInstanceOf(JsonProcessingException.class);
    }
}
