package io.portico.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.util.regex.Pattern;

/**
 * Turns the errors of Jackson's data binding into a field path and a message in configuration terms, for the
 * declarative document and the node file.
 */
public final class MappingErrors {

    /** Text that marks a Java class or exception name in a message: a quoted type or a package prefix. */
    private static final Pattern JAVA_DETAIL = Pattern.compile("`|\\bjava\\.|\\bio\\.portico\\.|Exception\\b");

    private MappingErrors() {
    }

    /**
     * Returns the path of the field that {@code e} failed on, such as {@code circuitBreaker.minimumCalls}; empty when
     * Jackson names none.
     */
    public static String field(JsonProcessingException e) {
        if (e instanceof JsonMappingException mapping) {
            StringBuilder path = new StringBuilder();
            for (var reference : mapping.getPath()) {
                if (reference.getFieldName() != null) {
                    path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
                } else if (reference.getIndex() >= 0) {
                    path.append('[').append(reference.getIndex()).append(']');
                }
            }
            return path.toString();
        }
        return "";
    }

    /** Returns what is wrong with the value that {@code e} failed on, in configuration terms. */
    public static String message(JsonProcessingException e) {
        if (e instanceof ValueInstantiationException instantiation
                && instantiation.getCause() instanceof IllegalArgumentException invalid) {
            // A settings record rejected its values, and its message names the field.
            return invalid.getMessage();
        }
        if (e instanceof UnrecognizedPropertyException unknown) {
            return "unknown field '" + unknown.getPropertyName() + "'";
        }
        if (e instanceof InvalidFormatException invalid) {
            return "invalid value '" + invalid.getValue() + "': expected " + describe(invalid.getTargetType());
        }
        InputCoercionException range = e instanceof InputCoercionException coercion ? coercion
                : e.getCause() instanceof InputCoercionException coercion ? coercion : null;
        if (range != null) {
            return "is out of range: expected " + range(range.getTargetType());
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return "has the wrong type: expected " + describe(mismatch.getTargetType());
        }
        String original = e.getOriginalMessage();
        if (e instanceof ValueInstantiationException || original == null || JAVA_DETAIL.matcher(original).find()) {
            // Jackson's own messages name Java classes and exceptions, which mean nothing to the author.
            return "has an invalid value";
        }
        return original;
    }

    /**
     * Returns what is wrong with the value that {@code e} failed on like {@link #message}, but never quotes the
     * value or any part of the document, for fields that may hold a secret.
     */
    public static String messageWithoutValue(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return "unknown field '" + unknown.getPropertyName() + "'";
        }
        if (e instanceof InvalidFormatException invalid && invalid.getTargetType() != null) {
            // A number or a boolean where text is expected is the wrong type; text that does not parse is invalid.
            return (invalid.getValue() instanceof String ? "has an invalid value" : "has the wrong type")
                    + ": expected " + describe(invalid.getTargetType());
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return "has the wrong type: expected " + describe(mismatch.getTargetType());
        }
        return "has an invalid value";
    }

    private static String range(Class<?> type) {
        if (type == Integer.class || type == int.class) {
            return "a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
        }
        if (type == Long.class || type == long.class) {
            return "a whole number from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE;
        }
        return type == null ? "a smaller number" : describe(type);
    }

    /** Names the expected kind of value in configuration terms rather than as a Java type. */
    private static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == java.time.Duration.class) {
            return "a duration such as 250ms, 5s, 2m or 1h, or a whole number of milliseconds, at most 365 days";
        }
        if (type == java.time.Instant.class) {
            return Json.INSTANT_FORM;
        }
        if (type == String.class) {
            return "a string";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return type.getSimpleName();
    }
}
