package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A null element of a list is named by its index, for every kind, and no message shows Java internals. */
class NullListElementTest {

    @Test
    void nullStatusIsNamed() {
        ObjectNode spec = spec("{\"name\":\"n2\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":1}],"
                + "\"retries\":{\"statuses\":[503,null]}}");

        assertThat(errors(ResourceKinds.SERVICES, spec))
                .containsExactly(new FieldError("retries.statuses[1]", "must not be null"));
    }

    @Test
    void nullTargetIsNamed() {
        ObjectNode spec = spec("{\"name\":\"n1\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":1},null]}");

        assertThat(errors(ResourceKinds.SERVICES, spec))
                .containsExactly(new FieldError("targets[1]", "must not be null"));
    }

    @Test
    void nullPathAndMethodAreNamed() {
        ObjectNode spec = spec("{\"name\":\"n4\",\"service\":\"web\",\"paths\":[\"/n4\",null],\"methods\":[null]}");

        assertThat(errors(ResourceKinds.ROUTES, spec)).containsExactly(
                new FieldError("paths[1]", "must not be null"), new FieldError("methods[0]", "must not be null"));
    }

    @Test
    void nullsKeepWrittenIndices() {
        ObjectNode spec = spec("{\"name\":\"s\",\"targets\":[null,{\"host\":\"h\",\"port\":0},null,"
                + "{\"host\":\"h\",\"port\":\"x\"}]}");

        List<FieldError> errors = errors(ResourceKinds.SERVICES, spec);

        assertThat(errors).extracting(FieldError::field)
                .containsExactlyInAnyOrder("targets[0]", "targets[2]", "targets[3].port", "targets[1].port");
        assertThat(spec.path("targets")).as("the caller's document is left as it was").hasSize(4);
    }

    @Test
    void everyKindNamesNullElements() {
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            for (RecordComponent component : kind.type().getRecordComponents()) {
                if (!Collection.class.isAssignableFrom(component.getType())) {
                    continue;
                }
                String field = jsonName(component);
                ObjectNode spec = spec("{\"name\":\"n\"}");
                spec.putArray(field).addNull();

                List<FieldError> errors = errors(kind, spec);

                assertThat(errors).as(kind.name() + "." + field)
                        .contains(new FieldError(field + "[0]", "must not be null"));
                assertThat(errors).as(kind.name() + "." + field).allSatisfy(error -> assertThat(error.message())
                        .doesNotContain("`", "java.", "io.portico.", "Exception"));
            }
        }
    }

    private static String jsonName(RecordComponent component) {
        JsonProperty property = component.getAccessor().getAnnotation(JsonProperty.class);
        if (property == null) {
            property = component.getAnnotation(JsonProperty.class);
        }
        return property == null || property.value().isEmpty() ? component.getName() : property.value();
    }

    private static List<FieldError> errors(ResourceKind<?> kind, ObjectNode spec) {
        List<FieldError> errors = new ArrayList<>();
        assertThatThrownBy(() -> kind.parse(spec)).as(kind.name() + " " + spec)
                .isInstanceOfSatisfying(ValidationException.class, e -> errors.addAll(e.errors()));
        return errors;
    }

    private static ObjectNode spec(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
