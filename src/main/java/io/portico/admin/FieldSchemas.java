package io.portico.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Durations;
import io.portico.config.ExactlyOne;
import io.portico.config.FieldRules;
import io.portico.config.Json;
import io.portico.config.Length;
import io.portico.config.Matches;
import io.portico.config.OneOf;
import io.portico.config.PolicyType;
import io.portico.config.PolicyValidator;
import io.portico.config.Range;
import io.portico.config.Required;
import io.portico.config.Variant;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.List;

/**
 * Builds the JSON schemas of specification fields in the forms that {@link Json#SPECS} reads, and adds the rules of
 * the annotations that {@link FieldRules} checks: {@link Required}, {@link Range}, {@link OneOf}, {@link Matches},
 * {@link Length} and {@link PolicyType} of a field, and {@link ExactlyOne} and {@link Variant} of a record. A field
 * without {@link Required} may also be null, which the admin API reads as absent.
 */
final class FieldSchemas {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private FieldSchemas() {
    }

    /**
     * Returns the schema of a whole number: a JSON integer, or text of {@link Json#INTEGER_TEXT}. The JSON integer
     * carries the bounds of its format as {@code minimum} and {@code maximum}, because validators need not check a
     * {@code format}, and the text form's description states them.
     *
     * @param format the OpenAPI format, {@code int32} or {@code int64}
     */
    static ObjectNode integer(String format) {
        boolean int32 = format.equals("int32");
        long min = int32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
        long max = int32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
        ObjectNode schema = NODES.objectNode();
        ArrayNode forms = schema.putArray("anyOf");
        forms.addObject().put("type", "integer").put("format", format).put("minimum", min).put("maximum", max);
        forms.addObject().put("type", "string").put("pattern", Json.INTEGER_TEXT)
                .put("description", "The whole number written as JSON text, such as \"25\", from " + min + " to "
                        + max);
        return schema;
    }

    /** Returns the schema of a number: a JSON number, or text of {@link Json#NUMBER_TEXT}. */
    static ObjectNode number() {
        ObjectNode schema = NODES.objectNode();
        ArrayNode forms = schema.putArray("anyOf");
        forms.addObject().put("type", "number");
        forms.addObject().put("type", "string").put("pattern", Json.NUMBER_TEXT)
                .put("description", "The number written as JSON text, such as \"0.5\"");
        return schema;
    }

    /** Returns the schema of a boolean: {@code true} or {@code false}, as JSON literals, as text, or as 1 or 0. */
    static ObjectNode bool() {
        ObjectNode schema = NODES.objectNode();
        schema.putArray("type").add("boolean").add("string").add("integer");
        ArrayNode values = schema.putArray("enum").add(true).add(false);
        Json.BOOLEAN_TEXTS.forEach(values::add);
        Json.BOOLEAN_NUMBERS.forEach(values::add);
        schema.put("description", "true or false; also written \"true\" or \"false\", or 1 for true and 0 for"
                + " false");
        return schema;
    }

    /** Returns the schema of an instant: text of {@link Json#INSTANT_TEXT}. */
    static ObjectNode instant() {
        return NODES.objectNode().put("type", "string").put("format", "date-time")
                .put("pattern", Json.INSTANT_TEXT);
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
        Length length = component.getAnnotation(Length.class);
        if (length != null) {
            addLength(values, length);
        }
        List<String> policyTypes = PolicyValidator.current().types();
        if (component.isAnnotationPresent(PolicyType.class) && !policyTypes.isEmpty()) {
            ArrayNode names = values.putArray("enum");
            policyTypes.forEach(names::add);
        }
        Required required = component.getAnnotation(Required.class);
        if (required == null) {
            return nullable(schema);
        }
        if (list) {
            schema.put("minItems", 1);
        } else if (component.getType() == String.class && matches == null && oneOf == null && !values.has("enum")) {
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
        if (schema.has("anyOf")) {
            // Only the JSON number can carry bounds; the description states them for the text form.
            numbers = (ObjectNode) schema.get("anyOf").get(0);
            String description = schema.path("description").asText();
            schema.put("description", (description.isEmpty() ? "" : description + ". ") + "The value "
                    + FieldRules.rangeMessage(range, duration));
        }
        if (range.min() != Double.NEGATIVE_INFINITY) {
            putNumber(numbers, "minimum", range.min());
        }
        if (range.max() != Double.POSITIVE_INFINITY) {
            putNumber(numbers, "maximum", duration ? Math.min(range.max(), Durations.MAX_MILLIS) : range.max());
        }
    }

    private static void addLength(ObjectNode schema, Length length) {
        if (length.min() > 0) {
            schema.put("minLength", length.min());
        }
        if (length.max() != Integer.MAX_VALUE) {
            schema.put("maxLength", length.max());
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
        } else if (type instanceof ArrayNode types) {
            types.add("null");
        } else if (schema.has("anyOf")) {
            schema.withArray("anyOf").addObject().put("type", "null");
        }
        if (schema.has("enum")) {
            schema.withArray("enum").addNull();
        }
        return schema;
    }

    /**
     * Adds the record rules of {@code type} to {@code schema}, its object schema: {@link ExactlyOne} as a
     * {@code oneOf}, and each {@link Variant} as an {@code if} on the discriminator with a {@code then} that sets the
     * variant's fields to null and requires its required fields.
     */
    static void addRecordRules(Class<?> type, ObjectNode schema) {
        ExactlyOne exactlyOne = type.getAnnotation(ExactlyOne.class);
        if (exactlyOne != null) {
            ArrayNode alternatives = schema.putArray("oneOf");
            for (String field : exactlyOne.value()) {
                ObjectNode alternative = alternatives.addObject();
                alternative.putArray("required").add(field);
                ObjectNode properties = alternative.putObject("properties");
                for (String other : exactlyOne.value()) {
                    properties.set(other, other.equals(field) ? present(component(type, other))
                            : NODES.objectNode().put("type", "null"));
                }
            }
            schema.put("description", "Exactly one of " + String.join(", ", exactlyOne.value()) + " is given");
        }
        Variant[] variants = type.getAnnotationsByType(Variant.class);
        if (variants.length > 0) {
            ArrayNode clauses = schema.putArray("allOf");
            List<String> variantFields = FieldRules.variantFields(variants);
            for (Variant variant : variants) {
                clauses.add(variantClause(type, variant, variantFields));
            }
        }
    }

    private static ObjectNode variantClause(Class<?> type, Variant variant, List<String> variantFields) {
        ObjectNode clause = NODES.objectNode();
        clause.put("description", "When " + variant.field() + " is " + String.join(" or ", variant.value())
                + (variant.whenAbsent() ? " or absent" : ""));
        ObjectNode condition = clause.putObject("if");
        ArrayNode values = condition.putObject("properties").putObject(variant.field()).putArray("enum");
        for (String value : variant.value()) {
            values.add(value);
        }
        if (variant.whenAbsent()) {
            values.addNull();
        } else {
            condition.putArray("required").add(variant.field());
        }

        ObjectNode then = clause.putObject("then");
        ObjectNode properties = then.putObject("properties");
        List<String> allowed = List.of(variant.fields());
        for (String field : variantFields) {
            if (!allowed.contains(field)) {
                properties.putObject(field).put("type", "null");
            }
        }

        ArrayNode required = NODES.arrayNode();
        ArrayNode groups = NODES.arrayNode();
        for (String entry : variant.required()) {
            String[] alternatives = entry.split("\\|");
            if (alternatives.length == 1) {
                required.add(entry);
                properties.set(entry, present(component(type, entry)));
                continue;
            }
            ArrayNode anyOf = groups.addObject().putArray("anyOf");
            for (String alternative : alternatives) {
                ObjectNode option = anyOf.addObject();
                option.putArray("required").add(alternative);
                option.putObject("properties").set(alternative, present(component(type, alternative)));
            }
        }

        if (!required.isEmpty()) {
            then.set("required", required);
        }
        if (!groups.isEmpty()) {
            then.set("allOf", groups);
        }
        return clause;
    }

    /** Returns the schema of a value that counts as present for {@link Required}: not null, blank or empty. */
    private static ObjectNode present(RecordComponent component) {
        if (component.getType() == String.class) {
            return NODES.objectNode().put("type", "string").put("pattern", "\\S");
        }
        if (component.getType() == List.class) {
            return NODES.objectNode().put("type", "array").put("minItems", 1);
        }
        ObjectNode schema = NODES.objectNode();
        schema.putObject("not").put("type", "null");
        return schema;
    }

    private static RecordComponent component(Class<?> type, String name) {
        for (RecordComponent component : type.getRecordComponents()) {
            if (component.getName().equals(name)) {
                return component;
            }
        }
        throw new IllegalStateException(type.getSimpleName() + " has no component " + name);
    }
}
