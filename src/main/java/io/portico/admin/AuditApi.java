package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.AuditEntry;
import io.portico.store.AuditQuery;
import io.portico.store.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the audit log: a page of entries as JSON under {@code /audit}, or every matching entry as JSON lines under
 * {@code /audit/export}. Both take the filters {@code kind}, {@code name}, {@code actor}, {@code operation},
 * {@code team}, {@code since} and {@code until} (RFC 3339 instants, {@code until} exclusive). Entries come newest
 * first; a page's {@code next} is the {@code cursor} of the page after it.
 */
final class AuditApi {

    /** Media type of the export: one JSON object per line. */
    static final String JSON_LINES = "application/jsonl";

    private static final int DEFAULT_LIMIT = 100;
    /** The filters that both routes take. */
    private static final List<String> FILTERS = List.of("kind", "name", "actor", "operation", "team", "since",
            "until");
    /** The parameters of a page: the filters, {@code limit} and {@code cursor}. */
    private static final List<String> PAGE_PARAMETERS = Stream.concat(FILTERS.stream(),
            Stream.of("limit", "cursor")).toList();

    private final Vertx vertx;
    private final ConfigStore store;

    AuditApi(Vertx vertx, ConfigStore store) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
    }

    /**
     * Sends one page of the entries that match the request's filters.
     *
     * @param team when not null, only entries of this team, whatever the request asks
     */
    void list(RoutingContext ctx, String team) {
        AdminQueryParameters.check(ctx, PAGE_PARAMETERS);
        AuditQuery query = query(ctx.request().params(), team, DEFAULT_LIMIT);
        vertx.executeBlocking(() -> store.audit(query), false).onSuccess(entries -> {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            ArrayNode items = body.putArray("items");
            entries.forEach(entry -> items.add(entry.toJson()));
            if (entries.size() == query.limit()) {
                body.put("next", String.valueOf(entries.get(entries.size() - 1).id()));
            } else {
                body.putNull("next");
            }
            Exchange.sendJson(ctx, 200, body);
        }).onFailure(ctx::fail);
    }

    /**
     * Streams every entry that matches the request's filters as JSON lines, reading the store one page at a time.
     *
     * @param team when not null, only entries of this team, whatever the request asks
     */
    void export(RoutingContext ctx, String team) {
        AdminQueryParameters.check(ctx, FILTERS);
        AuditQuery query = query(ctx.request().params(), team, AuditQuery.MAX_LIMIT);
        HttpServerResponse response = ctx.response();
        vertx.executeBlocking(() -> store.audit(query), false).onSuccess(first -> {
            response.setChunked(true)
                    .putHeader(HttpHeaders.CONTENT_TYPE, JSON_LINES)
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .putHeader("Content-Disposition", "attachment; filename=\"portico-audit.jsonl\"");
            writePages(response, query, first);
        }).onFailure(ctx::fail);
    }

    private void writePages(HttpServerResponse response, AuditQuery query, List<AuditEntry> page) {
        StringBuilder lines = new StringBuilder();
        page.forEach(entry -> lines.append(entry.toJson()).append('\n'));
        Future<Void> written = lines.isEmpty() ? Future.succeededFuture()
                : response.write(Buffer.buffer(lines.toString().getBytes(StandardCharsets.UTF_8)));
        if (page.size() < query.limit()) {
            written.onComplete(done -> response.end());
            return;
        }
        AuditQuery next = query.after(page.get(page.size() - 1).id());
        written.compose(done -> vertx.executeBlocking(() -> store.audit(next), false))
                .onSuccess(entries -> writePages(response, next, entries))
                // NOTE: the status line is already sent, so a failure can only cut the stream short.
                .onFailure(cause -> response.reset(io.portico.pipeline.RequestContext.RESET_INTERNAL_ERROR));
    }

    private static AuditQuery query(MultiMap params, String team, int defaultLimit) {
        String requestedTeam = params.get("team");
        return new AuditQuery(params.get("kind"), params.get("name"), params.get("actor"), params.get("operation"),
                team != null ? team : requestedTeam, instant(params, "since"), instant(params, "until"),
                cursor(params), limit(params, defaultLimit));
    }

    private static Instant instant(MultiMap params, String name) {
        String value = params.get(name);
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new Problem(ProblemType.BAD_REQUEST, name + " must be an RFC 3339 instant such as"
                    + " 2026-01-31T12:00:00Z");
        }
    }

    private static Long cursor(MultiMap params) {
        String value = params.get("cursor");
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new Problem(ProblemType.BAD_REQUEST, "cursor must be the 'next' value of a previous page");
        }
    }

    private static int limit(MultiMap params, int defaultLimit) {
        String value = params.get("limit");
        if (value == null) {
            return defaultLimit;
        }
        String message = "limit must be a whole number from 1 to " + AuditQuery.MAX_LIMIT;
        int limit;
        try {
            limit = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new Problem(ProblemType.BAD_REQUEST, message);
        }
        if (limit < 1 || limit > AuditQuery.MAX_LIMIT) {
            throw new Problem(ProblemType.BAD_REQUEST, message);
        }
        return limit;
    }
}
