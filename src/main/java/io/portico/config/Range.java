package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Inclusive bounds of a numeric or duration field, or of each element of a list field. A duration's bounds are in
 * milliseconds. {@link FieldRules} checks them, and the admin API's OpenAPI document publishes them as
 * {@code minimum} and {@code maximum}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Range {

    /** The smallest valid value; no lower bound when absent. */
    double min() default Double.NEGATIVE_INFINITY;

    /** The largest valid value; no upper bound when absent. */
    double max() default Double.POSITIVE_INFINITY;

    /** The error message for a value out of bounds; one that states the bounds when empty. */
    String message() default "";
}
