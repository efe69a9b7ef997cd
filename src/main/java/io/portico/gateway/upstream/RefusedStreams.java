package io.portico.gateway.upstream;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.StreamResetException;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Recognises the HTTP/2 requests that a target refused without processing them, which RFC 9113 sections 6.8 and 8.7
 * allow a client to send again, whatever the method.
 *
 * <p>Vert.x 5.0.7's client reports such a request in one of three ways:
 * <ul>
 *   <li>a {@link StreamResetException} with code 7 (REFUSED_STREAM), message {@code Stream reset: 7}, when the target
 *       reset the stream with that code;</li>
 *   <li>an {@link HttpClosedException} with the message {@code Stream was closed (GOAWAY error code = N)} when a GOAWAY
 *       arrived whose last stream id is below the request's stream. Vert.x sends every stream that closes after a
 *       GOAWAY the same exception, including the streams at or below the last stream id, which the target may have
 *       processed before it closed the connection. So {@link #watch} records the last stream id of each
 *       connection's GOAWAY, and only a stream above it counts as refused;</li>
 *   <li>a Netty {@link Http2Exception.StreamException} with error REFUSED_STREAM and a message such as
 *       {@code Cannot create stream 3 greater than Last-Stream-ID 1 from GOAWAY.}, for a request whose stream Vert.x
 *       had created on a connection before its GOAWAY arrived but whose headers it was about to write after. Nothing
 *       of such a request was sent. Vert.x removes a connection from its pool as soon as the GOAWAY arrives, so later
 *       requests get another connection.</li>
 * </ul>
 */
public final class RefusedStreams {

    /** HTTP/2 error code REFUSED_STREAM (RFC 9113 section 7). */
    private static final long REFUSED_STREAM = 0x7;

    /**
     * The last stream id of the GOAWAY that each connection received, for the connections that received one. Entries
     * are added once per connection at most and read only when a request fails, so one lock is cheap enough, and the
     * weak keys let a closed connection go.
     */
    private static final Map<HttpConnection, Integer> LAST_STREAM_IDS =
            Collections.synchronizedMap(new WeakHashMap<>());

    private RefusedStreams() {
    }

    /**
     * Records the last stream id of the GOAWAY that {@code connection} receives, if it is an HTTP/2 connection. Call
     * it from the client's connect handler, before the connection carries a request.
     *
     * <p>NOTE: Vert.x 5.0.7 passes only the first GOAWAY of a connection to its handler. A stream that a later
     * GOAWAY with a lower last stream id refuses is reported as a connection error. A server that shuts down in two
     * steps (RFC 9113 section 6.8) sends the second GOAWAY at least a round trip after the first, so it rarely
     * refuses any stream that the client created before it saw the first.
     */
    static void watch(HttpConnection connection) {
        try {
            connection.goAwayHandler(goAway -> LAST_STREAM_IDS.put(connection, goAway.getLastStreamId()));
        } catch (UnsupportedOperationException http1) {
            // A TLS target that does not choose h2 through ALPN gets an HTTP/1.1 connection, which has no GOAWAY.
        }
    }

    /**
     * Returns whether the target refused {@code request} without processing it, so that sending the request again
     * cannot repeat its effect.
     *
     * @param failure the failure of the request's response future, or one of its causes
     */
    public static boolean isRefused(HttpClientRequest request, Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof StreamResetException reset) {
                return reset.getCode() == REFUSED_STREAM;
            }
            if (cause instanceof Http2Exception.StreamException stream) {
                return stream.error() == Http2Error.REFUSED_STREAM;
            }
            if (cause instanceof HttpClosedException) {
                return aboveGoAway(request);
            }
        }
        return false;
    }

    /**
     * Returns whether the connection of {@code request} received a GOAWAY after its target had processed at least
     * one stream of it, as a target that closes connections after a number of requests does. Such a connection takes
     * no new requests, so a request that it refused goes to another connection when it is sent again.
     */
    public static boolean goAwayAfterProcessing(HttpClientRequest request) {
        Integer lastStreamId = LAST_STREAM_IDS.get(request.connection());
        return lastStreamId != null && lastStreamId > 0;
    }

    private static boolean aboveGoAway(HttpClientRequest request) {
        Integer lastStreamId = LAST_STREAM_IDS.get(request.connection());
        return lastStreamId != null && request.streamId() > lastStreamId;
    }
}
