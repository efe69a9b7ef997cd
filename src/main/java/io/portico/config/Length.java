package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Inclusive bounds of the length of a text field, in Unicode code points as JSON Schema counts them.
 * {@link FieldRules} checks them, and the admin API's OpenAPI document publishes them as {@code minLength} and
 * {@code maxLength}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Length {

    /** The minimum valid length. */
    int min() default 0;

    /** The maximum valid length. */
    int max() default Integer.MAX_VALUE;
}
