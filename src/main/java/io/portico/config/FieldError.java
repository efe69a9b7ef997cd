package io.portico.config;

/** One invalid field of a configuration object, with the JSON path of the field and what is wrong with it. */
public record FieldError(String field, String message) {
}
