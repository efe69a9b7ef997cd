package io.portico.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A kind of configuration object, such as services, routes or certificates. It names the kind in the admin API
 * and in declarative documents, and gives its Java type, its validation and the fields that responses mask.
 *
 * @param <T> the specification type
 */
public final class ResourceKind<T> {

    private final String name;
    private final Class<T> type;
    private final BiConsumer<T, Errors> validator;
    private final List<String> secretFields;
    private final StoredForm storedForm;

    public ResourceKind(String name, Class<T> type, BiConsumer<T, Errors> validator, List<String> secretFields) {
        this(name, type, validator, secretFields, (written, stored) -> written);
    }

    /**
     * Creates a kind whose specifications are changed by {@code storedForm} before they are stored, for example to
     * replace a password by its hash.
     */
    public ResourceKind(String name, Class<T> type, BiConsumer<T, Errors> validator, List<String> secretFields,
                        StoredForm storedForm) {
        this.name = requireNonNull(name, "name");
        this.type = requireNonNull(type, "type");
        this.validator = requireNonNull(validator, "validator");
        this.secretFields = List.copyOf(secretFields);
        this.storedForm = requireNonNull(storedForm, "storedForm");
    }

    /** The plural name used in admin API paths and as the key in declarative documents. */
    public String name() {
        return name;
    }

    public Class<T> type() {
        return type;
    }

    /** Fields, as dotted paths, whose values are secrets: write-only through the admin API and masked in exports. */
    public List<String> secretFields() {
        return secretFields;
    }

    /**
     * Returns the form in which a valid specification is stored. Every write path (the admin API's create, replace
     * and patch, and declarative apply) calls it after validation, so that secrets such as API keys and passwords
     * are stored only as hashes. It may compute a slow password hash: call it on a worker thread.
     *
     * @param written the specification as written, masked secrets already restored
     * @param stored the stored specification of the same name, or null when there is none
     */
    public ObjectNode storedForm(ObjectNode written, ObjectNode stored) {
        return storedForm.apply(written, stored);
    }

    /**
     * Converts {@code spec} to the typed specification and validates it.
     *
     * @throws ValidationException listing each invalid field
     */
    public T parse(JsonNode spec) {
        T value;
        try {
            value = Json.MAPPER.treeToValue(spec, type);
        } catch (JsonProcessingException e) {
            throw new ValidationException(fieldOf(e), messageOf(e));
        }
        Errors errors = new Errors();
        validator.accept(value, errors);
        if (errors.isEmpty()) {
            for (SpecValidator extra : SpecValidator.registered()) {
                extra.validate(this, value, errors);
            }
        }
        errors.throwIfAny();
        return value;
    }

    /** Returns the JSON form of a typed specification. */
    public ObjectNode toJson(T value) {
        return Json.MAPPER.valueToTree(value);
    }

    private static String fieldOf(JsonProcessingException e) {
        if (e instanceof MismatchedInputException mismatch) {
            StringBuilder path = new StringBuilder();
            for (var reference : mismatch.getPath()) {
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

    private static String messageOf(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return "unknown field '" + unknown.getPropertyName() + "'";
        }
        if (e instanceof InvalidFormatException invalid) {
            return "invalid value '" + invalid.getValue() + "': expected " + describe(invalid.getTargetType());
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return "has the wrong type: expected " + describe(mismatch.getTargetType());
        }
        return e.getOriginalMessage();
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
            return "a duration such as 250ms, 5s, 2m or 1h, at most 365 days";
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

    @Override
    public String toString() {
        return name;
    }

    /** Turns a written specification into the form that is stored; see {@link #storedForm(ObjectNode, ObjectNode)}. */
    @FunctionalInterface
    public interface StoredForm {

        /** Returns the stored form of {@code written}, given the {@code stored} specification or null. */
        ObjectNode apply(ObjectNode written, ObjectNode stored);
    }
}
