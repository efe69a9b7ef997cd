package io.portico.config;

/** The rule for resource names that are also used in admin API paths and policy configuration. */
public final class Names {

    /** The rule for resource names, as a regular expression that Java and JSON Schema read alike. */
    public static final String PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";
    /** The error message for a name that does not match {@link #PATTERN}. */
    public static final String MESSAGE = "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or"
            + " digit";
    /** The error message for a reference to another resource that does not match {@link #PATTERN}. */
    public static final String REFERENCE_MESSAGE = "must be the name of an existing resource: 1-128 letters, digits,"
            + " '.', '_' or '-'";

    private Names() {
    }

    /** Records {@code name} as missing or invalid under the field {@code name}. */
    static void validate(Errors errors, String name) {
        errors.required(name, "name");
        if (name != null && !ServiceSpec.NAME.matcher(name).matches()) {
            errors.add("name", MESSAGE);
        }
    }

    /** Records {@code value} as invalid under {@code field} unless it is absent or a valid resource name. */
    static void validateReference(Errors errors, String field, String value) {
        if (value != null && !ServiceSpec.NAME.matcher(value).matches()) {
            errors.add(field, REFERENCE_MESSAGE);
        }
    }
}
