package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * @param history every change of status, oldest first, as recorded by the admin API's subscription operations
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubscriptionSpec(@Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
                               @Required @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE)
                               String consumer,
                               @Required @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String api,
                               @OneOf({PENDING, ACTIVE, REJECTED, REVOKED}) String status,
                               Instant expiresAt,
                               @Length(max = MAX_REASON_LENGTH) String reason, List<StatusChange> history) {

    public static final String PENDING = "pending";
    public static final String ACTIVE = "active";
    public static final String REJECTED = "rejected";
    public static final String REVOKED = "revoked";
    public static final Set<String> STATUSES = Set.of(PENDING, ACTIVE, REJECTED, REVOKED);
    /** The maximum length of the reason recorded with a decision, in characters. */
    public static final int MAX_REASON_LENGTH = 1024;

    public SubscriptionSpec {
        status = status == null ? PENDING : status;
        history = history == null ? List.of() : List.copyOf(history);
    }

    /**
     * One change of a subscription's status.
     *
     * @param status the status the subscription took
     * @param by who made the change: the admin identity of the request, or {@code auto} for an API's automatic
     *     approval
     * @param at when the change was made
     * @param reason the note given with the change; may be absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StatusChange(@Required @OneOf({PENDING, ACTIVE, REJECTED, REVOKED}) String status,
                               @Required String by, @Required Instant at,
                               @Length(max = MAX_REASON_LENGTH) String reason) {
    }

    /** Returns true when the subscription admits calls at {@code now}. */
    public boolean activeAt(Instant now) {
        return ACTIVE.equals(status) && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** Returns a copy with {@code change} applied: its status, its reason and one more history entry. */
    public SubscriptionSpec with(StatusChange change, Instant newExpiresAt) {
        List<StatusChange> changes = new ArrayList<>(history);
        changes.add(change);
        return new SubscriptionSpec(name, consumer, api, change.status(), newExpiresAt, change.reason(), changes);
    }

    /** Records every invalid field of this subscription into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        for (int i = 0; i < history.size(); i++) {
            StatusChange change = history.get(i);
            Errors at = errors.at("history", i);
            if (change == null) {
                at.add("", "must be an object");
                continue;
            }
            FieldRules.check(change, at);
        }
    }
}
