package io.portico.quota;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;

/** A calendar period that counters reset at: a day or a month, in a time zone. */
public enum CalendarPeriod {

    DAY,
    MONTH;

    /** The configuration name: {@code day} or {@code month}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the period named {@code label}, or null when it is neither {@code day} nor {@code month}. */
    public static CalendarPeriod of(String label) {
        return switch (label) {
            case "day" -> DAY;
            case "month" -> MONTH;
            default -> null;
        };
    }

    /** Returns the period of this kind that contains {@code now} in {@code zone}. */
    public Window window(Instant now, ZoneId zone) {
        LocalDate today = now.atZone(zone).toLocalDate();
        LocalDate first = this == DAY ? today : today.withDayOfMonth(1);
        LocalDate next = this == DAY ? first.plusDays(1) : first.plusMonths(1);
        ZonedDateTime start = first.atStartOfDay(zone);
        ZonedDateTime end = next.atStartOfDay(zone);
        return new Window(start.toInstant(), end.toInstant());
    }

    /** One period: from {@code start} inclusive to {@code end} exclusive. */
    public record Window(Instant start, Instant end) {
    }
}
