package io.portico.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.ResourceKind;
import io.portico.config.SecretFields;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The query parameter filters of a resource list, such as {@code ?consumer=acme&status=active}. */
final class ResourceFilter {

    private ResourceFilter() {
    }

    /**
     * Checks that {@code field} is a top-level field of the kind's specification that contains no secret. A filter
     * on a secret would confirm whether a guessed value is the stored one, so secret fields, and the objects and
     * lists that contain them, cannot be filtered on.
     *
     * @throws Problem 400 naming the fields that can be filtered on
     */
    static void checkField(ResourceKind<?> kind, String field) {
        List<String> fields = fields(kind);
        if (components(kind).contains(field) && SecretFields.mayHoldSecret(kind, field)) {
            throw new Problem(ProblemType.BAD_REQUEST, "cannot filter " + kind.name() + " on '" + field
                    + "', because it contains a secret; query parameters must be fields of " + kind.name() + " without"
                    + " secrets: " + String.join(", ", fields));
        }
        if (!fields.contains(field)) {
            throw new Problem(ProblemType.BAD_REQUEST, "cannot filter " + kind.name() + " on '" + field
                    + "'; query parameters must be fields of " + kind.name() + ": " + String.join(", ", fields));
        }
    }

    /** Returns true when {@code spec}, with its defaults applied, matches every filter. */
    static boolean matches(ResourceKind<?> kind, ObjectNode spec, Map<String, List<String>> filters) {
        if (filters.isEmpty()) {
            return true;
        }
        JsonNode complete = withDefaults(kind, spec);
        for (Map.Entry<String, List<String>> filter : filters.entrySet()) {
            if (!matches(complete.get(filter.getKey()), filter.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(JsonNode value, List<String> accepted) {
        if (value == null || value.isNull()) {
            return false;
        }
        if (value.isArray()) {
            for (JsonNode element : value) {
                if (element.isValueNode() && accepted.contains(element.asText())) {
                    return true;
                }
            }
            return false;
        }
        return value.isValueNode() && accepted.contains(value.asText());
    }

    /** Returns {@code spec} as its typed specification writes it, defaults included; as stored when that fails. */
    private static JsonNode withDefaults(ResourceKind<?> kind, ObjectNode spec) {
        try {
            return Json.MAPPER.valueToTree(Json.MAPPER.treeToValue(spec, kind.type()));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            return spec;
        }
    }

    /** Returns the top-level fields of the kind that contain no secret. */
    private static List<String> fields(ResourceKind<?> kind) {
        return components(kind).stream().filter(name -> !SecretFields.mayHoldSecret(kind, name)).toList();
    }

    private static List<String> components(ResourceKind<?> kind) {
        RecordComponent[] components = kind.type().getRecordComponents();
        return components == null ? List.of() : Arrays.stream(components).map(RecordComponent::getName).toList();
    }
}
