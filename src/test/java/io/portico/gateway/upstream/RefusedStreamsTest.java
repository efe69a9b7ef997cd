package io.portico.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.VertxException;
import io.vertx.core.http.StreamResetException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The failures of Vert.x 5.0.7's HTTP/2 client that mean a target refused a request without processing it. A stream
 * closed by GOAWAY needs a real connection, so {@code Http2RefusedStreamTest} covers that case. The request argument
 * is read only for such a stream, so these checks pass none.
 */
class RefusedStreamsTest {

    @Test
    void refusedStreamResetIsRefused() {
        assertThat(RefusedStreams.isRefused(null, new StreamResetException(0x7))).isTrue();
    }

    @Test
    void otherResetsAreNotRefused() {
        for (long code : new long[] {0x0, 0x1, 0x2, 0x8, 0xb}) {
            assertThat(RefusedStreams.isRefused(null, new StreamResetException(code))).as("code %d", code).isFalse();
        }
    }

    @Test
    void streamAfterGoAwayIsRefused() {
        Http2Exception failure = Http2Exception.streamError(3, Http2Error.REFUSED_STREAM,
                "Cannot create stream %d greater than Last-Stream-ID %d from GOAWAY.", 3, 1);

        assertThat(RefusedStreams.isRefused(null, failure)).isTrue();
    }

    @Test
    void otherStreamErrorIsNotRefused() {
        Http2Exception failure = Http2Exception.streamError(3, Http2Error.PROTOCOL_ERROR, "malformed");

        assertThat(RefusedStreams.isRefused(null, failure)).isFalse();
    }

    @Test
    void wrappedRefusalIsRefused() {
        assertThat(RefusedStreams.isRefused(null, new VertxException(new StreamResetException(0x7)))).isTrue();
    }

    @Test
    void connectionFailuresAreNotRefused() {
        Http2Exception closed = Http2Exception.connectionError(Http2Error.INTERNAL_ERROR,
                "Attempted to create stream id %d after connection was closed", 143);

        assertThat(RefusedStreams.isRefused(null, closed)).isFalse();
        assertThat(RefusedStreams.isRefused(null, new IOException("Connection reset by peer"))).isFalse();
    }
}
