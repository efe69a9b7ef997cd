package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MergePatchTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"a":"b"}                 | {"a":"c"}              | {"a":"c"}
            {"a":"b"}                 | {"b":"c"}              | {"a":"b","b":"c"}
            {"a":"b"}                 | {"a":null}             | {}
            {"a":"b","b":"c"}         | {"a":null}             | {"b":"c"}
            {"a":["b"]}               | {"a":"c"}              | {"a":"c"}
            {"a":"c"}                 | {"a":["b"]}            | {"a":["b"]}
            {"a":{"b":"c"}}           | {"a":{"b":"d","c":null}} | {"a":{"b":"d"}}
            {"a":[{"b":"c"}]}         | {"a":[1]}              | {"a":[1]}
            {"e":null}                | {"a":1}                | {"e":null,"a":1}
            {}                        | {"a":{"bb":{"ccc":null}}} | {"a":{"bb":{}}}
            """)
    void followsRfc7396Examples(String target, String patch, String expected) throws Exception {
        assertThat(MergePatch.apply(Json.MAPPER.readTree(target), Json.MAPPER.readTree(patch)))
                .isEqualTo(Json.MAPPER.readTree(expected));
    }
}
