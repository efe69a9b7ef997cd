package io.portico.policy.quota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.quota.CalendarPeriod;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** The {@code period} and {@code timeZone} fields shared by the {@code quota} and {@code budget} policies. */
public final class PeriodSettings {

    private PeriodSettings() {
    }

    /** Parses the {@code period} field at {@code field}: {@code day} or {@code month}, {@code day} when absent. */
    public static CalendarPeriod period(JsonNode config, String field, Errors errors) {
        JsonNode node = config.get("period");
        if (node == null || node.isNull()) {
            return CalendarPeriod.DAY;
        }
        CalendarPeriod period = node.isTextual() ? CalendarPeriod.of(node.asText()) : null;
        if (period == null) {
            errors.add(field, "must be day or month, not " + node);
            return CalendarPeriod.DAY;
        }
        return period;
    }

    /** Parses the {@code timeZone} field, an IANA zone id such as {@code Europe/Paris}; UTC when absent. */
    public static ZoneId timeZone(ObjectNode config, Errors errors) {
        JsonNode node = config.get("timeZone");
        if (node == null || node.isNull()) {
            return ZoneOffset.UTC;
        }
        try {
            if (node.isTextual()) {
                return ZoneId.of(node.asText());
            }
        } catch (DateTimeException e) {
            errors.add("timeZone", "unknown time zone '" + node.asText() + "'; use an IANA id such as Europe/Paris");
            return ZoneOffset.UTC;
        }
        errors.add("timeZone", "must be a time zone id such as UTC or Europe/Paris");
        return ZoneOffset.UTC;
    }

    /** Returns the whole seconds from {@code now} to {@code end}, rounded up and at least 1, for Retry-After. */
    public static long secondsUntil(Instant now, Instant end) {
        long millis = Duration.between(now, end).toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }
}
