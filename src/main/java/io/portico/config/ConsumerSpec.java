package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * A consumer: an application or agent that calls Portico's APIs with one or more credentials.
 *
 * @param name the consumer's unique name, sent upstream as its identity
 * @param team the team that owns the consumer
 * @param description free text
 * @param disabled rejects every credential of the consumer at once while true
 * @param labels free key-value pairs, usable as rate-limit keys and identity headers
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConsumerSpec(String name, String team, String description, Boolean disabled,
                           Map<String, String> labels) {

    public ConsumerSpec {
        disabled = disabled != null && disabled;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** Records every invalid field of this consumer into {@code errors}. */
    public void validate(Errors errors) {
        Names.validate(errors, name);
        errors.required(team, "team");
        Names.validateReference(errors, "team", team);
        labels.forEach((key, value) -> {
            errors.check(key.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}"), "labels." + key,
                    "label names must be 1-63 letters, digits, '.', '_' or '-'");
            errors.check(value != null && value.length() <= 256, "labels." + key,
                    "must be a string of at most 256 characters");
        });
    }
}
