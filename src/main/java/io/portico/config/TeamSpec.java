package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A team: the tenant that owns APIs, services, routes, providers and consumers.
 *
 * @param name the team's unique name
 * @param description free text shown in the admin API and console
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TeamSpec(@Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
                       String description) {

    /** Records every invalid field of this team into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
    }
}
