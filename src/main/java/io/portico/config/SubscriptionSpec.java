package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Set;

/**
 * A consumer's subscription to an API. Only an {@code active} subscription lets the consumer call the API.
 *
 * @param name the subscription's unique name
 * @param consumer the subscribing consumer
 * @param api the API subscribed to
 * @param status {@code pending}, {@code active}, {@code rejected} or {@code revoked}; {@code pending} when absent
 * @param expiresAt the instant after which the subscription no longer admits calls; never when absent
 * @param reason the note recorded with the last decision on the subscription
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubscriptionSpec(String name, String consumer, String api, String status, Instant expiresAt,
                               String reason) {

    public static final Set<String> STATUSES = Set.of("pending", "active", "rejected", "revoked");

    public SubscriptionSpec {
        status = status == null ? "pending" : status;
    }

    /** Returns true when the subscription admits calls at {@code now}. */
    public boolean activeAt(Instant now) {
        return "active".equals(status) && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** Records every invalid field of this subscription into {@code errors}. */
    public void validate(Errors errors) {
        Names.validate(errors, name);
        errors.required(consumer, "consumer");
        Names.validateReference(errors, "consumer", consumer);
        errors.required(api, "api");
        Names.validateReference(errors, "api", api);
        errors.check(STATUSES.contains(status), "status", "must be pending, active, rejected or revoked");
    }
}
