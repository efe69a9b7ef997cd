package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A policy attached outside routes and APIs: to every route when it names no consumer (a global policy), or to
 * every request authenticated as {@code consumer} (a consumer policy). Global policies run before the API's and
 * the route's policies of the same phase; consumer policies run after all of them, just before the backend.
 *
 * @param name the attachment's unique name
 * @param description free text
 * @param type the policy type, such as {@code rate-limit}: what a route's policy entry calls {@code name}
 * @param config the policy's configuration
 * @param consumer the consumer whose requests the policy applies to; every request when absent
 * @param order the position among attachments of the same scope, lowest first, then by name; 0 when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicySpec(@Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
                         String description, @Required @PolicyType String type, ObjectNode config,
                         @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String consumer,
                         Integer order) {

    public PolicySpec {
        order = order == null ? 0 : order;
    }

    /** Returns true when the policy runs on every route rather than for one consumer. */
    public boolean global() {
        return consumer == null;
    }

    /** Records every invalid field of this attachment into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        if (type == null) {
            return;
        }
        Errors policy = new Errors();
        PolicyValidator validator = PolicyValidator.current();
        validator.validate(type, config, policy);
        // The validator names the policy type 'name', as in a route's policy entry; here that field is 'type'.
        policy.list().forEach(error -> errors.add(error.field().equals("name") ? "type" : error.field(),
                error.message()));
        if (policy.isEmpty() && consumer != null && validator.authenticates(type, config)) {
            errors.add("type", "'" + type + "' is an authentication policy, which cannot be attached to a consumer:"
                    + " the consumer is known only after authentication; attach it to routes, APIs or globally");
        }
    }
}
