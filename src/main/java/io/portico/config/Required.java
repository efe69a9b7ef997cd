package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a specification field that must be present: not null, not blank text and not an empty list. The admin
 * API's OpenAPI document lists the field as required. {@link FieldRules} checks it for the records that call it,
 * and the other records check the field in their own {@code validate} method.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Required {

    /** The error message when the field is missing. */
    String message() default "is required";
}
