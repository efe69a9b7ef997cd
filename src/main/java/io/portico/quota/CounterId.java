package io.portico.quota;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One counter of one period.
 *
 * @param kind what is counted: {@code quota} (calls), {@code budget} (spend in micro-USD) or {@code budget-alert}
 *     (whether a budget's alert was logged)
 * @param scope what the counter applies to, such as {@code route:orders}, {@code api:orders} or {@code consumer}
 * @param subject who is counted, such as a consumer, team or provider key
 * @param start the start of the period
 * @param end the end of the period, exclusive
 */
public record CounterId(String kind, String scope, String subject, Instant start, Instant end) {

    public CounterId {
        requireNonNull(kind, "kind");
        requireNonNull(scope, "scope");
        requireNonNull(subject, "subject");
        requireNonNull(start, "start");
        requireNonNull(end, "end");
    }
}
