package io.portico.config;

import java.util.ArrayList;
import java.util.List;

/** Collects the invalid fields of one object while it is validated, each under its JSON path. */
public final class Errors {

    private final String prefix;
    private final List<FieldError> errors;

    public Errors() {
        this("", new ArrayList<>());
    }

    private Errors(String prefix, List<FieldError> errors) {
        this.prefix = prefix;
        this.errors = errors;
    }

    /** Returns a collector that records fields below {@code path}, into the same list as this one. */
    public Errors at(String path) {
        return new Errors(join(path), errors);
    }

    /** Returns a collector for element {@code index} of the array field {@code path}. */
    public Errors at(String path, int index) {
        return new Errors(join(path) + "[" + index + "]", errors);
    }

    /** Records that {@code field} is invalid. */
    public void add(String field, String message) {
        errors.add(new FieldError(join(field), message));
    }

    /** Records that {@code field} is invalid when {@code condition} is false. */
    public void check(boolean condition, String field, String message) {
        if (!condition) {
            add(field, message);
        }
    }

    /** Records {@code field} as missing when {@code value} is null or blank. */
    public void required(Object value, String field) {
        if (value == null || value instanceof String text && text.isBlank()) {
            add(field, "is required");
        }
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    public List<FieldError> list() {
        return List.copyOf(errors);
    }

    /** Throws a {@link ValidationException} listing every recorded field, if any. */
    public void throwIfAny() {
        if (!errors.isEmpty()) {
            throw new ValidationException(errors);
        }
    }

    private String join(String field) {
        if (field.isEmpty()) {
            return prefix;
        }
        return prefix.isEmpty() ? field : prefix + "." + field;
    }
}
