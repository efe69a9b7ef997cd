package io.portico.ai.stream;

import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Parses the AWS event stream binary framing ({@code application/vnd.amazon.eventstream}) that Amazon Bedrock and
 * other AWS services use for streamed responses.
 *
 * <p>Each message is a 12-byte prelude (total length, headers length, both big-endian 32-bit, and the CRC32 of
 * those 8 bytes), the headers, the payload, and the CRC32 of everything before it. A header is a 1-byte name
 * length, the name, a 1-byte type and the value. The types are 0 true and 1 false (no value), 2 byte, 3 short,
 * 4 int and 5 long (big-endian). Types 6 byte array and 7 string carry a 2-byte length, then the bytes. Type 8 is a
 * timestamp (milliseconds since the epoch, 8 bytes) and 9 a UUID (16 bytes).
 *
 * <p>Each message becomes a {@link StreamFrame} named by its {@code :event-type} header, with the payload decoded
 * as UTF-8 and every header as text: numbers in decimal, byte arrays in base64, timestamps in ISO-8601 and UUIDs in
 * their usual form.
 *
 * <p>A message whose length, header or CRC is invalid, or a stream that ends inside a message, yields one last frame
 * in the framing's own error form: {@code :message-type} {@code error}, {@code :error-code}
 * {@value #MALFORMED_STREAM} and an {@code :error-message}. The parser then ignores all further bytes, since no
 * later message boundary can be trusted.
 */
public final class EventStreamParser implements FrameParser {

    /** The {@code :error-code} of the frame that reports a broken stream. */
    public static final String MALFORMED_STREAM = "MalformedEventStream";

    /** The largest message accepted, the limit the AWS event stream libraries use. */
    static final int MAX_MESSAGE_LENGTH = MAX_FRAME_BYTES;
    private static final int PRELUDE_LENGTH = 12;
    private static final int MIN_MESSAGE_LENGTH = PRELUDE_LENGTH + 4;

    private Buffer pending = Buffer.buffer();
    private boolean failed;

    EventStreamParser() {
    }

    @Override
    public void feed(Buffer bytes, Consumer<StreamFrame> frames) {
        if (failed) {
            return;
        }
        pending.appendBuffer(bytes);
        int offset = 0;
        try {
            while (pending.length() - offset >= PRELUDE_LENGTH) {
                int total = checkPrelude(offset);
                if (pending.length() - offset < total) {
                    break;
                }
                frames.accept(message(offset, total));
                offset += total;
            }
        } catch (Malformed e) {
            fail(e.getMessage(), frames);
            return;
        }
        if (offset > 0) {
            pending = pending.getBuffer(offset, pending.length());
        }
    }

    @Override
    public void end(Consumer<StreamFrame> frames) {
        if (!failed && pending.length() > 0) {
            fail("the event stream ended inside a message, " + pending.length()
                    + " bytes after the last complete one", frames);
        }
    }

    private void fail(String message, Consumer<StreamFrame> frames) {
        failed = true;
        pending = Buffer.buffer();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":message-type", "error");
        headers.put(":error-code", MALFORMED_STREAM);
        headers.put(":error-message", message);
        frames.accept(new StreamFrame(null, "", headers));
    }

    /** Checks the prelude at {@code offset} and returns the message's total length. */
    private int checkPrelude(int offset) {
        long total = pending.getUnsignedInt(offset);
        long headersLength = pending.getUnsignedInt(offset + 4);
        long expected = pending.getUnsignedInt(offset + 8);
        if (crc(offset, 8) != expected) {
            throw new Malformed("event stream prelude CRC mismatch");
        }
        if (total < MIN_MESSAGE_LENGTH || total > MAX_MESSAGE_LENGTH) {
            throw new Malformed("invalid event stream message length " + total);
        }
        if (headersLength > total - MIN_MESSAGE_LENGTH) {
            throw new Malformed("event stream headers length " + headersLength
                    + " exceeds the message length " + total);
        }
        return (int) total;
    }

    private StreamFrame message(int offset, int total) {
        long expected = pending.getUnsignedInt(offset + total - 4);
        if (crc(offset, total - 4) != expected) {
            throw new Malformed("event stream message CRC mismatch");
        }
        int headersLength = (int) pending.getUnsignedInt(offset + 4);
        int headersStart = offset + PRELUDE_LENGTH;
        Map<String, String> headers = headers(headersStart, headersStart + headersLength);
        int payloadStart = headersStart + headersLength;
        String payload = pending.getString(payloadStart, offset + total - 4, StandardCharsets.UTF_8.name());
        return new StreamFrame(headers.get(":event-type"), payload, headers);
    }

    private Map<String, String> headers(int start, int end) {
        Map<String, String> headers = new LinkedHashMap<>();
        int position = start;
        while (position < end) {
            int nameLength = pending.getUnsignedByte(position++);
            require(position + nameLength + 1, end);
            String name = pending.getString(position, position + nameLength, StandardCharsets.UTF_8.name());
            position += nameLength;
            int type = pending.getUnsignedByte(position++);
            int valueLength = valueLength(type, position, end);
            require(position + valueLength, end);
            headers.put(name, value(type, position, valueLength));
            position += valueLength;
        }
        return headers;
    }

    /** Returns the length of a header value of {@code type} at {@code position}, its length prefix included. */
    private int valueLength(int type, int position, int end) {
        return switch (type) {
            case 0, 1 -> 0;
            case 2 -> 1;
            case 3 -> 2;
            case 4 -> 4;
            case 5, 8 -> 8;
            case 6, 7 -> {
                require(position + 2, end);
                yield 2 + pending.getUnsignedShort(position);
            }
            case 9 -> 16;
            default -> throw new Malformed("unknown event stream header type " + type);
        };
    }

    private String value(int type, int position, int length) {
        return switch (type) {
            case 0 -> "true";
            case 1 -> "false";
            case 2 -> Byte.toString(pending.getByte(position));
            case 3 -> Short.toString(pending.getShort(position));
            case 4 -> Integer.toString(pending.getInt(position));
            case 5 -> Long.toString(pending.getLong(position));
            case 6 -> Base64.getEncoder().encodeToString(pending.getBytes(position + 2, position + length));
            case 7 -> pending.getString(position + 2, position + length, StandardCharsets.UTF_8.name());
            case 8 -> Instant.ofEpochMilli(pending.getLong(position)).toString();
            default -> new UUID(pending.getLong(position), pending.getLong(position + 8)).toString();
        };
    }

    private static void require(int needed, int end) {
        if (needed > end) {
            throw new Malformed("event stream header runs past the headers section");
        }
    }

    private long crc(int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(pending.getBytes(offset, offset + length));
        return crc.getValue();
    }

    /** Stops parsing at the first invalid byte; reported as an error frame. */
    private static final class Malformed extends RuntimeException {

        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}
