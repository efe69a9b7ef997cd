package io.portico.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a text field that names a policy type. {@link PolicyValidator} rejects a name that is not registered, and
 * the admin API's OpenAPI document lists {@link PolicyValidator#types()} as the field's {@code enum}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface PolicyType {
}
