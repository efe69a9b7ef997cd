package io.portico.gateway;

import io.portico.pipeline.RequestContext;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one access-log line per request when its response ends or its connection closes, in logfmt
 * ({@code key=value} pairs) on the logger {@code portico.access}.
 */
final class AccessLog {

    private static final Logger LOG = LoggerFactory.getLogger("portico.access");

    private final boolean enabled;

    AccessLog(boolean enabled) {
        this.enabled = enabled && LOG.isInfoEnabled();
    }

    /** Arranges for the line of {@code ctx} to be written once, when the exchange is over. */
    void track(RequestContext ctx) {
        if (!enabled) {
            return;
        }
        HttpServerResponse response = ctx.response();
        ctx.onEnd(() -> LOG.info(line(ctx, response.ended())));
    }

    private static String line(RequestContext ctx, boolean completed) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        long nanos = System.nanoTime() - ctx.startNanos();
        StringBuilder line = new StringBuilder(256);
        line.append("request_id=").append(ctx.requestId())
                .append(" client=").append(ctx.clientAddress())
                .append(" method=").append(request.decoderResult().isFailure() ? "-" : request.method().name())
                .append(" host=").append(quote(ctx.host()))
                .append(" path=").append(quote(ctx.path()))
                .append(" protocol=").append(request.version() == null ? "-" : request.version().alpnName())
                .append(" status=");
        // Without a response head the client received no status, though getStatusCode() still returns its default 200.
        if (response.headWritten()) {
            line.append(response.getStatusCode());
        } else {
            line.append('-');
        }
        // A tunnel's bytes bypass the response, whose count stops at the 101 head.
        long bytes = ctx.tunnelled() ? ctx.tunnelBytesToClient() : response.bytesWritten();
        line.append(" bytes=").append(bytes).append(" duration_ms=");
        appendMillis(line, nanos);
        line.append(" route=").append(ctx.route() == null ? "-" : ctx.route().name())
                .append(" upstream=").append(ctx.upstreamAddress() == null ? "-" : ctx.upstreamAddress());
        if (ctx.consumer() != null) {
            line.append(" consumer=").append(quote(ctx.consumer()));
        }
        if (ctx.failure() != null) {
            line.append(" problem=").append(ctx.failure().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (ctx.tunnelled()) {
            line.append(" bytes_received=").append(ctx.tunnelBytesFromClient());
        }
        List<Object> fields = ctx.logFields();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            line.append(' ').append(fields.get(i)).append('=').append(quote(String.valueOf(fields.get(i + 1))));
        }
        if (!completed) {
            line.append(" aborted=true");
        }
        return line.toString();
    }

    /**
     * Appends {@code nanos} as milliseconds with three decimals, rounded half up, as {@code %.3f} would print them
     * without the cost of a {@link java.util.Formatter} per request.
     */
    static void appendMillis(StringBuilder out, long nanos) {
        long micros = (Math.max(0, nanos) + 500) / 1000;
        long fraction = micros % 1000;
        out.append(micros / 1000).append('.');
        if (fraction < 100) {
            out.append('0');
        }
        if (fraction < 10) {
            out.append('0');
        }
        out.append(fraction);
    }

    /** Quotes a value that contains spaces, quotes or control characters, escaping what could break the line. */
    private static String quote(String value) {
        boolean plain = !value.isEmpty();
        for (int i = 0; i < value.length() && plain; i++) {
            char c = value.charAt(i);
            plain = c > 0x20 && c != '"' && c != '\\' && c != 0x7f;
        }
        if (plain) {
            return value;
        }
        StringBuilder quoted = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\x%02x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
