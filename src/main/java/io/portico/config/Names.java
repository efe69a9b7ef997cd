package io.portico.config;

/** The rule for resource names that are also used in admin API paths and policy configuration. */
final class Names {

    private Names() {
    }

    /** Records {@code name} as missing or invalid under the field {@code name}. */
    static void validate(Errors errors, String name) {
        errors.required(name, "name");
        if (name != null && !ServiceSpec.NAME.matcher(name).matches()) {
            errors.add("name", "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /** Records {@code value} as invalid under {@code field} unless it is absent or a valid resource name. */
    static void validateReference(Errors errors, String field, String value) {
        if (value != null && !ServiceSpec.NAME.matcher(value).matches()) {
            errors.add(field, "must be the name of an existing resource: 1-128 letters, digits, '.', '_' or '-'");
        }
    }
}
