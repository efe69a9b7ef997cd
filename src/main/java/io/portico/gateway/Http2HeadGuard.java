package io.portico.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.AttributeKey;
import io.portico.config.HeaderNames;
import io.portico.net.Authority;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Checks the head of each HTTP/2 request before Vert.x reads it, because Vert.x 5.0.7 parses {@code :authority}
 * and {@code host} while it creates the stream, and throws on some invalid values (see {@link Authority#isValid}),
 * which ends the whole connection. A request whose header list is larger than {@code limits.maxHeaderSize} gets 431
 * from the gateway (see {@link #ANNOUNCED_HEADER_LIST_FACTOR}). Otherwise a request is malformed, and gets 400 from
 * the gateway, when:
 *
 * <ul>
 *   <li>its {@code :authority} or {@code host} is not a valid host and port,</li>
 *   <li>it carries more than one {@code host} field, or a {@code host} that differs from {@code :authority}.
 *       RFC 9113 section 8.3.1 lets {@code host} stand in for {@code :authority} and requires both to be equal
 *       when both are present, and RFC 9110 section 7.2 allows one Host only. The router reads one of them while an
 *       upstream could read another, or</li>
 *   <li>a field name contains a character that RFC 9110 section 5.6.2 does not allow in a token, such as a colon,
 *       a space or a control character. RFC 9113 section 8.2.1 makes such a request malformed, and forwarding
 *       it would fail, because an HTTP/1.1 upstream request cannot carry the name, or</li>
 *   <li>a field value contains NUL, CR or LF, which RFC 9113 section 8.2.1 makes malformed too. An HTTP/1.1
 *       request with such a value gets 400 from the decoder, so both protocols reject it.</li>
 * </ul>
 *
 * <p>The guard removes {@code :authority} and {@code host} from a malformed request, and every field but
 * {@code :method}, {@code :scheme} and {@code :path} from an oversized one, so Vert.x creates the stream without
 * parsing them. It records the problem of the request under its stream id until {@link GatewayHandler} takes it.
 * Netty's HPACK decoder checks the rest: upper-case names, pseudo-headers and connection-specific headers. Trailers
 * carry no pseudo-headers and are not checked, because the gateway does not forward request trailers.
 *
 * <p>The guard also records the requests whose HEADERS frame ended the stream. Such a request has no body, and
 * Vert.x 5.0.7 reports its end only after the request handler ran, so the gateway would otherwise forward it with
 * an empty chunked body.
 */
final class Http2HeadGuard extends Http2FrameListenerDecorator {

    /** The channel attribute that contains the guard of an HTTP/2 connection. */
    static final AttributeKey<Http2HeadGuard> KEY = AttributeKey.valueOf(Http2HeadGuard.class, "guard");

    /**
     * The factor between the {@code SETTINGS_MAX_HEADER_LIST_SIZE} that the listener announces and
     * {@code limits.maxHeaderSize}, which the guard enforces. Netty 4.2.9 enforces the announced size itself: it
     * rejects a larger decoded header list with a bare 431 that never reaches the gateway, and closes the connection
     * with GOAWAY {@code PROTOCOL_ERROR} once one encoded header block (HEADERS and CONTINUATION frames) exceeds 1.25
     * times the announced size, because it buffers the whole block before decoding it. With the factor, a header list
     * up to four times the limit, in a block of at most five times it, gets the gateway's 431 problem on its own
     * stream, and the connection stays open.
     * A connection buffers at most one header block at a time (RFC 9113 section 4.3), 80 KiB with the default limit.
     */
    static final int ANNOUNCED_HEADER_LIST_FACTOR = 4;
    /** The largest value of {@code SETTINGS_MAX_HEADER_LIST_SIZE}, an unsigned 32-bit integer. */
    private static final long MAX_SETTING = 0xFFFFFFFFL;
    /** The size that RFC 9113 section 6.5.2 adds to the name and value of each field line of a header list. */
    private static final int FIELD_OVERHEAD = 32;

    /** The problem of each rejected request not yet dispatched, by stream id. Used on the event loop only. */
    private final Map<Integer, Problem> problems = new HashMap<>();
    /** The streams whose HEADERS frame ended the stream, until {@link GatewayHandler} takes them. Event loop only. */
    private final Set<Integer> endedByHeaders = new HashSet<>();

    /** {@code limits.maxHeaderSize}: the largest header list in bytes, counted as RFC 9113 section 6.5.2 does. */
    private final long maxHeaderListSize;

    private Http2HeadGuard(Http2FrameListener listener, long maxHeaderListSize) {
        super(listener);
        this.maxHeaderListSize = maxHeaderListSize;
    }

    /** Returns the {@code SETTINGS_MAX_HEADER_LIST_SIZE} that a listener with {@code maxHeaderSize} announces. */
    static long announcedHeaderListSize(int maxHeaderSize) {
        return Math.min((long) maxHeaderSize * ANNOUNCED_HEADER_LIST_FACTOR, MAX_SETTING);
    }

    /**
     * Puts a guard in front of the frame listener of {@code handler}, the HTTP/2 handler of the channel of
     * {@code ctx}. Call it before the first HEADERS frame is read.
     *
     * @param maxHeaderListSize {@code limits.maxHeaderSize}, the largest header list a request may have
     */
    static void install(ChannelHandlerContext ctx, Http2ConnectionHandler handler, long maxHeaderListSize) {
        Http2HeadGuard guard = new Http2HeadGuard(handler.decoder().frameListener(), maxHeaderListSize);
        handler.decoder().frameListener(guard);
        handler.connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamRemoved(Http2Stream stream) {
                // A stream that Vert.x reset before dispatching its request leaves no entry behind.
                guard.problems.remove(stream.id());
                guard.endedByHeaders.remove(stream.id());
            }
        });
        ctx.channel().attr(KEY).set(guard);
    }

    /** Removes and returns the problem of the rejected request on {@code streamId}, or returns null. */
    Problem takeProblem(int streamId) {
        return problems.isEmpty() ? null : problems.remove(streamId);
    }

    /**
     * Returns whether the HEADERS frame of the request on {@code streamId} ended the stream, so that the request has
     * no body, and removes the entry of the stream.
     */
    boolean takeEndedByHeaders(int streamId) {
        return !endedByHeaders.isEmpty() && endedByHeaders.remove(streamId);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) throws Http2Exception {
        check(streamId, headers, endOfStream);
        super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                              short weight, boolean exclusive, int padding, boolean endOfStream)
            throws Http2Exception {
        check(streamId, headers, endOfStream);
        super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
    }

    private void check(int streamId, Http2Headers headers, boolean endOfStream) {
        if (headers.method() == null) {
            return;
        }
        if (endOfStream) {
            endedByHeaders.add(streamId);
        }
        long size = headerListSize(headers);
        if (size > maxHeaderListSize) {
            removeAllButTarget(headers);
            problems.put(streamId, new Problem(ProblemType.HEADERS_TOO_LARGE, "the request header list is " + size
                    + " bytes, more than the limit limits.maxHeaderSize of " + maxHeaderListSize + " bytes; each "
                    + "field counts its name and value plus 32 bytes (RFC 9113 section 6.5.2)"));
            return;
        }
        String problem = problem(headers);
        if (problem != null) {
            headers.remove(Http2Headers.PseudoHeaderName.AUTHORITY.value());
            headers.remove(HttpHeaderNames.HOST);
            problems.put(streamId, new Problem(ProblemType.BAD_REQUEST, problem));
        } else if (headers.authority() != null) {
            // The host equals :authority here. Vert.x 5.0.7 compares the two case-sensitively and resets the stream
            // when they differ in case only, although host names are case-insensitive (RFC 9110 section 4.2.3).
            headers.remove(HttpHeaderNames.HOST);
        }
    }

    /** Returns the size of a header list as RFC 9113 section 6.5.2 counts it for SETTINGS_MAX_HEADER_LIST_SIZE. */
    static long headerListSize(Http2Headers headers) {
        long size = 0;
        for (Map.Entry<CharSequence, CharSequence> header : headers) {
            size += header.getKey().length() + header.getValue().length() + FIELD_OVERHEAD;
        }
        return size;
    }

    /**
     * Removes every field of an oversized request head except {@code :method}, {@code :scheme} and {@code :path},
     * which Vert.x needs to create the request that the gateway then rejects.
     */
    private static void removeAllButTarget(Http2Headers headers) {
        CharSequence method = headers.method();
        CharSequence scheme = headers.scheme();
        CharSequence path = headers.path();
        headers.clear();
        headers.method(method);
        if (scheme != null) {
            headers.scheme(scheme);
        }
        if (path != null) {
            headers.path(path);
        }
    }

    private static boolean hasLineBreakOrNul(CharSequence value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return true;
            }
        }
        return false;
    }

    /** Returns why a request head is malformed, or null when it is not. */
    static String problem(Http2Headers headers) {
        String authority = null;
        String host = null;
        for (Map.Entry<CharSequence, CharSequence> header : headers) {
            CharSequence name = header.getKey();
            boolean pseudo = name.length() > 0 && name.charAt(0) == ':';
            if (!pseudo && !HeaderNames.isToken(name)) {
                return "a header field name contains a character that a field name must not contain, such as ':', "
                        + "a space or a control character (RFC 9110 section 5.6.2)";
            }
            if (hasLineBreakOrNul(header.getValue())) {
                return "a header field value contains NUL, CR or LF, which RFC 9113 section 8.2.1 does not allow";
            }
            boolean isAuthority = pseudo && Http2Headers.PseudoHeaderName.AUTHORITY.value().contentEquals(name);
            boolean isHost = !pseudo && HttpHeaderNames.HOST.contentEqualsIgnoreCase(name);
            if (!isAuthority && !isHost) {
                continue;
            }
            String value = header.getValue().toString();
            if (!Authority.isValid(value)) {
                return (isAuthority ? "the :authority" : "the host header") + " is not a valid host and port";
            }
            if (isHost && host != null) {
                return "an HTTP/2 request must not carry more than one host header (RFC 9110 section 7.2)";
            }
            if (isHost) {
                host = value;
            } else {
                authority = value;
            }
        }
        if (authority != null && host != null && !Authority.withoutEmptyPort(authority)
                .equalsIgnoreCase(Authority.withoutEmptyPort(host))) {
            return "the host header of an HTTP/2 request must equal its :authority (RFC 9113 section 8.3.1)";
        }
        return null;
    }
}
