package io.portico.admin;

import io.portico.store.AuditContext;
import io.vertx.core.Handler;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Gives every admin request an id: the client's {@value #HEADER} when it is a short printable token, else a
 * random UUID. The id goes back in the response header of the same name and into the audit log.
 */
final class RequestIds implements Handler<RoutingContext> {

    /** The request and response header. */
    static final String HEADER = "X-Request-Id";

    private static final String KEY = RequestIds.class.getName();
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");

    @Override
    public void handle(RoutingContext ctx) {
        String offered = ctx.request().getHeader(HEADER);
        String id = offered != null && VALID.matcher(offered).matches() ? offered : UUID.randomUUID().toString();
        ctx.put(KEY, id);
        ctx.response().putHeader(HEADER, id);
        ctx.next();
    }

    /** Returns the id of this request. */
    static String of(RoutingContext ctx) {
        String id = ctx.get(KEY);
        return id == null ? "" : id;
    }

    /** Returns who makes the change that this authenticated request asks for, and from where. */
    static AuditContext auditContext(RoutingContext ctx) {
        SocketAddress remote = ctx.request().remoteAddress();
        return new AuditContext(Principal.of(ctx).actor(), of(ctx), remote == null ? null : remote.hostAddress());
    }
}
