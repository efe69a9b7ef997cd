package io.portico.config;

import java.util.List;

/** Thrown when a configuration object or document has invalid fields; carries every invalid field found. */
public final class ValidationException extends RuntimeException {

    private final List<FieldError> errors;
    private final boolean incomplete;

    public ValidationException(List<FieldError> errors) {
        this(errors, false);
    }

    /**
     * Creates the exception for {@code errors}. A true {@code incomplete} means that checking stopped at a cap, so
     * other fields may be invalid as well.
     */
    public ValidationException(List<FieldError> errors, boolean incomplete) {
        super(describe(errors, incomplete));
        this.errors = List.copyOf(errors);
        this.incomplete = incomplete;
    }

    public ValidationException(String field, String message) {
        this(List.of(new FieldError(field, message)));
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** Returns whether checking stopped at a cap, so fields other than those listed may be invalid too. */
    public boolean incomplete() {
        return incomplete;
    }

    /** Returns the summary of the errors, such as {@code 2 fields are invalid}. */
    public String summary() {
        int count = errors.size();
        String summary = count == 1 ? "1 field is invalid" : count + " fields are invalid";
        return incomplete ? summary + ", and checking stopped there, so others may be as well" : summary;
    }

    private static String describe(List<FieldError> errors, boolean incomplete) {
        StringBuilder text = new StringBuilder("invalid configuration:");
        for (FieldError error : errors) {
            text.append(' ').append(error.field()).append(": ").append(error.message()).append(';');
        }
        return text.substring(0, text.length() - 1) + (incomplete ? "; checking stopped there, so other fields "
                + "may be invalid as well" : "");
    }
}
