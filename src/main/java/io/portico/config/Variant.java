package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The fields that a specification record has when its discriminator field, such as a credential's {@code type},
 * takes one of {@link #value}. The variant fields of a record are those that any of its variants lists in
 * {@link #fields}: a variant field that the matching variant does not list must be absent. {@link FieldRules}
 * checks these rules when the discriminator matches a variant, and the admin API's OpenAPI document publishes
 * them as {@code if} and {@code then} schemas.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(Variant.List.class)
public @interface Variant {

    /** The name of the discriminator component, a text field. */
    String field();

    /** The discriminator values this variant applies to. */
    String[] value();

    /** Whether this variant also applies when the discriminator is absent. */
    boolean whenAbsent() default false;

    /** The variant fields that may be present. */
    String[] fields() default {};

    /**
     * The fields that must be present, each a component name or alternatives separated by {@code |}, such as
     * {@code key|keyHash}, of which at least one must be present.
     */
    String[] required() default {};

    /** The variants of one record. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface List {

        /** The variants. */
        Variant[] value();
    }
}
