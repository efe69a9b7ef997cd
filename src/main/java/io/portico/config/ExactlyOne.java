package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names fields of a specification record of which exactly one must be given, such as the backends of a route. A
 * field counts as given when it is not null. When several are given, the last of them in {@link #value} order
 * counts, and {@link FieldRules} reports each other one. When none is given, or the one given is blank text or an
 * empty list, it reports the first field as missing. The admin API's OpenAPI document publishes the rule as a
 * {@code oneOf}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ExactlyOne {

    /** The names of the record components, at least two. A missing one is reported under the first name. */
    String[] value();
}
