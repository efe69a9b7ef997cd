package io.portico.store;

import java.time.Instant;

/**
 * A filter and page of the audit log. Every null field matches everything. Entries come newest first.
 *
 * @param beforeId only entries with a smaller id: the {@code next} cursor of the previous page
 * @param limit the largest number of entries to return, 1 to {@value #MAX_LIMIT}
 */
public record AuditQuery(String kind, String name, String actor, String operation, String team, Instant since,
                         Instant until, Long beforeId, int limit) {

    /** Largest page size. */
    public static final int MAX_LIMIT = 1000;

    public AuditQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ", not " + limit);
        }
    }

    /** Returns a query that matches every entry, newest first, {@code limit} at a time. */
    public static AuditQuery all(int limit) {
        return new AuditQuery(null, null, null, null, null, null, null, null, limit);
    }

    /** Returns this query for the page after the entry with {@code id}. */
    public AuditQuery after(long id) {
        return new AuditQuery(kind, name, actor, operation, team, since, until, id, limit);
    }
}
