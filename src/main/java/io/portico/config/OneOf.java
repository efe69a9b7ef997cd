package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The values that a text field, or each element of a list field, may take. {@link FieldRules} checks them, and the
 * admin API's OpenAPI document publishes them as an {@code enum}, or as a pattern when letter case is ignored.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface OneOf {

    /** The valid values. */
    String[] value();

    /** Whether a value in other letter case is valid too, because the record normalises the case. */
    boolean ignoreCase() default false;
}
