package io.portico.declarative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.config.FieldError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} references in the string values of a document tree with environment variables.
 * {@code $${NAME}} stands for the literal text {@code ${NAME}}. Keys, numbers and booleans are left alone.
 */
final class EnvSubstitution {

    private static final Pattern VARIABLE_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");

    private final Map<String, String> env;
    private final List<FieldError> errors = new ArrayList<>();

    private EnvSubstitution(Map<String, String> env) {
        this.env = env;
    }

    /**
     * Substitutes every reference in {@code root}, in place.
     *
     * @return one error per reference that could not be resolved, named by the field path
     */
    static List<FieldError> apply(ObjectNode root, Map<String, String> env) {
        EnvSubstitution substitution = new EnvSubstitution(env);
        substitution.walkObject(root, "");
        return substitution.errors;
    }

    /**
     * Writes every {@code ${} in the string values of {@code root} as {@code $${}, in place, so that {@link #apply}
     * returns each value as it was. Keys are left alone, because {@link #apply} does not substitute them.
     */
    static void escape(JsonNode root) {
        if (root instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                if (field.getValue().isTextual()) {
                    field.setValue(TextNode.valueOf(escaped(field.getValue().asText())));
                } else {
                    escape(field.getValue());
                }
            }
        } else if (root instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isTextual()) {
                    array.set(i, TextNode.valueOf(escaped(array.get(i).asText())));
                } else {
                    escape(array.get(i));
                }
            }
        }
    }

    private static String escaped(String text) {
        return text.replace("${", "$${");
    }

    private void walkObject(ObjectNode object, String path) {
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            String childPath = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            JsonNode value = field.getValue();
            if (value.isTextual()) {
                field.setValue(TextNode.valueOf(expand(value.asText(), childPath)));
            } else {
                walk(value, childPath);
            }
        }
    }

    private void walkArray(ArrayNode array, String path) {
        for (int i = 0; i < array.size(); i++) {
            JsonNode value = array.get(i);
            String childPath = path + "[" + i + "]";
            if (value.isTextual()) {
                array.set(i, TextNode.valueOf(expand(value.asText(), childPath)));
            } else {
                walk(value, childPath);
            }
        }
    }

    private void walk(JsonNode node, String path) {
        if (node instanceof ObjectNode object) {
            walkObject(object, path);
        } else if (node instanceof ArrayNode array) {
            walkArray(array, path);
        }
    }

    private String expand(String text, String field) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder result = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                result.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int end = text.indexOf('}', i + 2);
                if (end < 0) {
                    errors.add(new FieldError(field, "has '${' without a closing '}'; write '$${' for a literal '${'"));
                    return text;
                }
                result.append(resolve(text.substring(i + 2, end), field));
                i = end + 1;
            } else {
                result.append(text.charAt(i));
                i++;
            }
        }
        return result.toString();
    }

    private String resolve(String name, String field) {
        if (!VARIABLE_NAME.matcher(name).matches()) {
            errors.add(new FieldError(field, "refers to '${" + name + "}', which is not a valid variable name"
                    + " (letters, digits and '_', not starting with a digit)"));
            return "";
        }
        String value = env.get(name);
        if (value == null) {
            errors.add(new FieldError(field, "refers to environment variable " + name + ", which is not set"));
            return "";
        }
        return value;
    }
}
