package io.portico.ai.mock;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Encodes AWS event stream messages ({@code application/vnd.amazon.eventstream}): a prelude with the total and
 * headers lengths and their CRC32, string headers (type 7), the payload and the message CRC32.
 */
public final class EventStreamWriter {

    private EventStreamWriter() {
    }

    /** Encodes a Bedrock event: {@code :event-type}, {@code :content-type} JSON and {@code :message-type} event. */
    public static Buffer event(String eventType, String json) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":event-type", eventType);
        headers.put(":content-type", "application/json");
        headers.put(":message-type", "event");
        return message(headers, json.getBytes(StandardCharsets.UTF_8));
    }

    /** Encodes an exception message, such as {@code throttlingException}, with a JSON payload. */
    public static Buffer exception(String exceptionType, String json) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":exception-type", exceptionType);
        headers.put(":content-type", "application/json");
        headers.put(":message-type", "exception");
        return message(headers, json.getBytes(StandardCharsets.UTF_8));
    }

    /** Encodes a message with string headers. */
    public static Buffer message(Map<String, String> headers, byte[] payload) {
        Buffer encodedHeaders = Buffer.buffer();
        headers.forEach((name, value) -> {
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            byte[] valueBytes = value.getBytes(StandardCharsets.UTF_8);
            encodedHeaders.appendByte((byte) nameBytes.length).appendBytes(nameBytes)
                    .appendByte((byte) 7).appendUnsignedShort(valueBytes.length).appendBytes(valueBytes);
        });
        return message(encodedHeaders, payload);
    }

    /** Encodes a message with headers already encoded, of any type. */
    public static Buffer message(Buffer encodedHeaders, byte[] payload) {
        int total = 12 + encodedHeaders.length() + payload.length + 4;
        Buffer message = Buffer.buffer(total)
                .appendInt(total)
                .appendInt(encodedHeaders.length());
        message.appendUnsignedInt(crc(message.getBytes()));
        message.appendBuffer(encodedHeaders).appendBytes(payload);
        return message.appendUnsignedInt(crc(message.getBytes()));
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }
}
