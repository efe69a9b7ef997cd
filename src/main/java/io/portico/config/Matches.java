package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A regular expression that a text field must match as a whole. It uses only the syntax that Java and ECMA-262
 * read alike, because {@link FieldRules} checks it with {@link java.util.regex.Pattern} and the admin API's OpenAPI
 * document publishes it as a JSON Schema {@code pattern}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Matches {

    /** The regular expression, anchored with {@code ^} and {@code $}. */
    String value();

    /** The error message for a value that does not match. */
    String message();
}
