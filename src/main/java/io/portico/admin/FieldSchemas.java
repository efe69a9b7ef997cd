package io.portico.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Durations;
import io.portico.config.FieldRules;
import io.portico.config.Matches;
import io.portico.config.OneOf;
import io.portico.config.Range;
import io.portico.config.Required;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.List;

/**
 * Adds the rules of a specification field's annotations ({@link Required}, {@link Range}, {@link OneOf},
 * {@link Matches}) to its JSON schema, the same annotations that {@link FieldRules} checks. A field without
 * {@link Required} may also be null, which the admin API reads as absent.
 */
final class FieldSchemas {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private FieldSchemas() {
    }

    /**
     * Returns {@code schema}, the schema of the type of {@code component}, with the rules of the component's
     * annotations added. The rules of a list field apply to its elements.
     */
    static ObjectNode property(RecordComponent component, ObjectNode schema) {
        boolean list = component.getType() == List.class;
        ObjectNode values = list ? (ObjectNode) schema.get("items") : schema;
        Range range = component.getAnnotation(Range.class);
        if (range != null) {
            addRange(values, range, elementType(component) == Duration.class);
        }
        OneOf oneOf = component.getAnnotation(OneOf.class);
        if (oneOf != null) {
            addOneOf(values, oneOf);
        }
        Matches matches = component.getAnnotation(Matches.class);
        if (matches != null) {
            values.put("pattern", matches.value());
        }
        Required required = component.getAnnotation(Required.class);
        if (required == null) {
            return nullable(schema);
        }
        if (list) {
            schema.put("minItems", 1);
        } else if (component.getType() == String.class && matches == null && oneOf == null) {
            // The value must not be blank: a JSON Schema pattern matches anywhere in the text.
            schema.put("pattern", "\\S");
        }
        return schema;
    }

    private static Class<?> elementType(RecordComponent component) {
        if (component.getType() == List.class
                && component.getGenericType() instanceof ParameterizedType parameterized
                && parameterized.getActualTypeArguments()[0] instanceof Class<?> element) {
            return element;
        }
        return component.getType();
    }

    private static void addRange(ObjectNode schema, Range range, boolean duration) {
        ObjectNode numbers = schema;
        if (duration) {
            // Only the number of milliseconds can carry bounds; the description states them for the text form.
            numbers = (ObjectNode) schema.get("anyOf").get(0);
            schema.put("description", schema.path("description").asText() + ". The value "
                    + FieldRules.rangeMessage(range, true));
        }
        if (range.min() != Double.NEGATIVE_INFINITY) {
            putNumber(numbers, "minimum", range.min());
        }
        if (range.max() != Double.POSITIVE_INFINITY) {
            putNumber(numbers, "maximum", duration ? Math.min(range.max(), Durations.MAX_MILLIS) : range.max());
        }
    }

    private static void putNumber(ObjectNode schema, String keyword, double value) {
        if (value == Math.rint(value)) {
            schema.put(keyword, (long) value);
        } else {
            schema.put(keyword, value);
        }
    }

    /**
     * Adds the values of {@code oneOf}: an {@code enum}, or a pattern that matches each value in any letter case
     * when the field ignores case, because JSON Schema has no case-insensitive {@code enum}.
     */
    private static void addOneOf(ObjectNode schema, OneOf oneOf) {
        if (!oneOf.ignoreCase()) {
            ArrayNode values = schema.putArray("enum");
            for (String value : oneOf.value()) {
                values.add(value);
            }
            return;
        }
        StringBuilder pattern = new StringBuilder("^(");
        for (int i = 0; i < oneOf.value().length; i++) {
            pattern.append(i == 0 ? "" : "|").append(anyCase(oneOf.value()[i]));
        }
        schema.put("pattern", pattern.append(")$").toString());
        schema.put("description", "One of " + String.join(", ", oneOf.value()) + ", in any letter case");
    }

    /** Returns a regular expression that matches {@code value} in any letter case, such as [gG][eE][tT]. */
    private static String anyCase(String value) {
        StringBuilder regex = new StringBuilder();
        for (char c : value.toCharArray()) {
            if (Character.isLetter(c)) {
                regex.append('[').append(Character.toLowerCase(c)).append(Character.toUpperCase(c)).append(']');
            } else if (Character.isDigit(c) || c == '-' || c == '_') {
                regex.append(c);
            } else {
                throw new IllegalArgumentException("cannot write '" + c + "' of " + value + " in a pattern");
            }
        }
        return regex.toString();
    }

    /** Adds {@code null} to the values that {@code schema} allows. */
    private static ObjectNode nullable(ObjectNode schema) {
        JsonNode type = schema.get("type");
        if (type != null && type.isTextual()) {
            schema.putArray("type").add(type.asText()).add("null");
        } else if (schema.has("anyOf")) {
            schema.withArray("anyOf").addObject().put("type", "null");
        }
        if (schema.has("enum")) {
            schema.withArray("enum").addNull();
        }
        return schema;
    }
}
