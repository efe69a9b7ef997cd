package io.portico.ai.spi;

/** How a provider frames the events of a streamed response. */
public enum Framing {
    /** Server-sent events: {@code event:} and {@code data:} lines, one blank line after each event. */
    SSE,
    /** One JSON document per line. */
    JSON_LINES,
    /** The AWS event stream binary framing: length-prefixed messages with headers and a CRC32 each. */
    AWS_EVENT_STREAM
}
