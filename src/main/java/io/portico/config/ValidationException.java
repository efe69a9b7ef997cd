package io.portico.config;

import java.util.List;

/** Thrown when a configuration object or document has invalid fields; carries every invalid field found. */
public final class ValidationException extends RuntimeException {

    private final List<FieldError> errors;

    public ValidationException(List<FieldError> errors) {
        super(describe(errors));
        this.errors = List.copyOf(errors);
    }

    public ValidationException(String field, String message) {
        this(List.of(new FieldError(field, message)));
    }

    public List<FieldError> errors() {
        return errors;
    }

    private static String describe(List<FieldError> errors) {
        StringBuilder text = new StringBuilder("invalid configuration:");
        for (FieldError error : errors) {
            text.append(' ').append(error.field()).append(": ").append(error.message()).append(';');
        }
        return text.substring(0, text.length() - 1);
    }
}
