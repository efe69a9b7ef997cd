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
import java.util.HashMap;
import java.util.Map;

/**
 * Checks the head of each HTTP/2 request before Vert.x reads it, because Vert.x 5.0.7 parses {@code :authority}
 * and {@code host} while it creates the stream, and throws on some invalid values (see {@link Authority#isValid}),
 * which ends the whole connection. A request is malformed, and gets 400 from the gateway, when:
 *
 * <ul>
 *   <li>its {@code :authority} or {@code host} is not a valid host and port, or</li>
 *   <li>a field name contains a character that RFC 9110 section 5.6.2 does not allow in a token, such as a colon,
 *       a space or a control character. RFC 9113 section 8.2.1 makes such a request malformed, and forwarding
 *       it would fail, because an HTTP/1.1 upstream request cannot carry the name.</li>
 * </ul>
 *
 * <p>The guard removes {@code :authority} and {@code host} from a malformed request, so Vert.x creates the stream
 * without parsing either, and records why the request is malformed under its stream id until
 * {@link GatewayHandler} takes it. Netty's HPACK decoder checks the rest: upper-case names, pseudo-headers and
 * connection-specific headers. Trailers carry no pseudo-headers and are not checked, because the gateway does not
 * forward request trailers.
 */
final class Http2HeadGuard extends Http2FrameListenerDecorator {

    /** The channel attribute that contains the guard of an HTTP/2 connection. */
    static final AttributeKey<Http2HeadGuard> KEY = AttributeKey.valueOf(Http2HeadGuard.class, "guard");

    /** The problem of each malformed request not yet dispatched, by stream id. Used on the event loop only. */
    private final Map<Integer, String> problems = new HashMap<>();

    private Http2HeadGuard(Http2FrameListener listener) {
        super(listener);
    }

    /**
     * Puts a guard in front of the frame listener of {@code handler}, the HTTP/2 handler of the channel of
     * {@code ctx}. Call it before the first HEADERS frame is read.
     */
    static void install(ChannelHandlerContext ctx, Http2ConnectionHandler handler) {
        Http2HeadGuard guard = new Http2HeadGuard(handler.decoder().frameListener());
        handler.decoder().frameListener(guard);
        handler.connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamRemoved(Http2Stream stream) {
                // A stream that Vert.x reset before dispatching its request leaves no entry behind.
                guard.problems.remove(stream.id());
            }
        });
        ctx.channel().attr(KEY).set(guard);
    }

    /** Removes and returns the problem of the malformed request on {@code streamId}, or returns null. */
    String takeProblem(int streamId) {
        return problems.isEmpty() ? null : problems.remove(streamId);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) throws Http2Exception {
        check(streamId, headers);
        super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                              short weight, boolean exclusive, int padding, boolean endOfStream)
            throws Http2Exception {
        check(streamId, headers);
        super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
    }

    private void check(int streamId, Http2Headers headers) {
        if (headers.method() == null) {
            return;
        }
        String problem = problem(headers);
        if (problem != null) {
            headers.remove(Http2Headers.PseudoHeaderName.AUTHORITY.value());
            headers.remove(HttpHeaderNames.HOST);
            problems.put(streamId, problem);
        }
    }

    /** Returns why a request head is malformed, or null when it is not. */
    static String problem(Http2Headers headers) {
        for (Map.Entry<CharSequence, CharSequence> header : headers) {
            CharSequence name = header.getKey();
            boolean pseudo = name.length() > 0 && name.charAt(0) == ':';
            if (!pseudo && !HeaderNames.isToken(name)) {
                return "a header field name contains a character that a field name must not contain, such as ':', "
                        + "a space or a control character (RFC 9110 section 5.6.2)";
            }
            boolean authority = pseudo ? Http2Headers.PseudoHeaderName.AUTHORITY.value().contentEquals(name)
                    : HttpHeaderNames.HOST.contentEqualsIgnoreCase(name);
            if (authority && !Authority.isValid(header.getValue().toString())) {
                return (pseudo ? "the :authority" : "the host header") + " is not a valid host and port";
            }
        }
        return null;
    }
}
