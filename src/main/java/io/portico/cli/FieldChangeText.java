package io.portico.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.declarative.FieldChange;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Formats a changed field as one line: {@code + path: value}, {@code - path: value} or
 * {@code ~ path: old -> new}. Values are written in YAML flow style, such as {@code {host: 10.0.0.2, port: 80}},
 * and a text is quoted as a JSON string when it would read as a number, a boolean or null, or contains other
 * characters than letters, digits and {@code _ . / : @ + * ~ = ? & % -}.
 */
final class FieldChangeText {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_/.][A-Za-z0-9_./:@+*~=?&%-]*");
    private static final Pattern NUMBER = Pattern.compile(
            "[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+");
    private static final Pattern KEYWORD = Pattern.compile("(?i)true|false|null|yes|no|on|off|y|n|~|\\.inf|\\.nan");

    private FieldChangeText() {
    }

    /** Returns the line for {@code change}, without indentation. */
    static String line(FieldChange change) {
        return switch (change.operation()) {
            case ADD -> "+ " + change.path() + ": " + value(change.newValue());
            case REMOVE -> "- " + change.path() + ": " + value(change.oldValue());
            case REPLACE -> "~ " + change.path() + ": " + value(change.oldValue()) + " -> "
                    + value(change.newValue());
        };
    }

    /** Returns {@code value} in YAML flow style on one line. */
    static String value(JsonNode value) {
        StringBuilder text = new StringBuilder();
        append(text, value);
        return text.toString();
    }

    private static void append(StringBuilder text, JsonNode value) {
        if (value == null || value.isNull()) {
            text.append("null");
        } else if (value.isTextual()) {
            text.append(scalar(value.asText()));
        } else if (value.isObject()) {
            text.append('{');
            for (Iterator<Map.Entry<String, JsonNode>> fields = value.properties().iterator(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                text.append(scalar(field.getKey())).append(": ");
                append(text, field.getValue());
                if (fields.hasNext()) {
                    text.append(", ");
                }
            }
            text.append('}');
        } else if (value.isArray()) {
            text.append('[');
            for (int i = 0; i < value.size(); i++) {
                if (i > 0) {
                    text.append(", ");
                }
                append(text, value.get(i));
            }
            text.append(']');
        } else {
            text.append(value);
        }
    }

    private static String scalar(String text) {
        boolean plain = PLAIN.matcher(text).matches() && !NUMBER.matcher(text).matches()
                && !KEYWORD.matcher(text).matches();
        return plain ? text : TextNode.valueOf(text).toString();
    }
}
