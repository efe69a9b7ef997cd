package io.portico.net.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import java.nio.charset.StandardCharsets;

/** Writes HTTP/1.1 requests as bytes (RFC 9112): the request line and header section, and chunked body framing. */
final class RequestWriter {

    /** Bodies up to this size go out in the buffer of the head, so the request is one contiguous write. */
    static final int INLINE_BODY_BYTES = 4096;

    private static final byte[] VERSION_AND_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final ByteBuf CHUNK_END = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(2).writeBytes(CRLF));
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));

    private RequestWriter() {
    }

    /**
     * Returns the request line and header section of a request, followed by {@code body} when it is given.
     *
     * @param body the whole body, or null; a view of it is written, so it can be written again for a retry
     */
    static ByteBuf request(ByteBufAllocator allocator, HttpMethod method, String uri, HeadersMultiMap headers,
                           ByteBuf body) {
        int bodyBytes = body == null ? 0 : body.readableBytes();
        boolean inline = bodyBytes <= INLINE_BODY_BYTES;
        ByteBuf head = allocator.directBuffer(256 + uri.length() + (inline ? bodyBytes : 0));
        head.writeCharSequence(method.name(), StandardCharsets.US_ASCII);
        head.writeByte(' ');
        if (uri.isEmpty()) {
            head.writeByte('/');
        } else {
            ByteBufUtil.writeUtf8(head, uri);
        }
        head.writeBytes(VERSION_AND_CRLF);
        headers.encode(head, false);
        head.writeBytes(CRLF);
        if (bodyBytes == 0) {
            return head;
        }
        if (inline) {
            return head.writeBytes(body, body.readerIndex(), bodyBytes);
        }
        return Unpooled.wrappedBuffer(head, body.retainedSlice());
    }

    /** Returns the chunk-size line of a chunk of {@code size} bytes. */
    static ByteBuf chunkSize(ByteBufAllocator allocator, int size) {
        ByteBuf line = allocator.directBuffer(10);
        line.writeCharSequence(Integer.toHexString(size), StandardCharsets.US_ASCII);
        return line.writeBytes(CRLF);
    }

    /** Returns the CRLF that ends a chunk's data. */
    static ByteBuf chunkEnd() {
        return CHUNK_END.duplicate();
    }

    /** Returns the last chunk, with no trailer fields, which ends a chunked body. */
    static ByteBuf lastChunk() {
        return LAST_CHUNK.duplicate();
    }
}
