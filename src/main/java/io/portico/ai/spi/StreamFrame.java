package io.portico.ai.spi;

import java.util.Map;

/**
 * One event of a provider's stream, as its framing delivers it.
 *
 * @param event the SSE event name or the AWS {@code :event-type} header; null when the framing has none
 * @param data the event's payload as text: the SSE data lines joined by newlines, a JSON line, or the AWS
 *     message payload
 * @param headers the AWS message headers; empty for other framings
 */
public record StreamFrame(String event, String data, Map<String, String> headers) {

    public StreamFrame {
        headers = headers == null ? Map.of() : headers;
    }

    public static StreamFrame of(String event, String data) {
        return new StreamFrame(event, data, Map.of());
    }
}
