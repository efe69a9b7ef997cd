package io.portico.ai.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class SseRelayBufferTest {

    @Test
    void holdsBackUnfinishedEvent() {
        SseRelayBuffer buffer = new SseRelayBuffer();

        Buffer ready = buffer.feed(Buffer.buffer("event: a\ndata: 1\n\nevent: b\ndata: 2"));

        assertThat(ready.toString()).isEqualTo("event: a\ndata: 1\n\n");
        assertThat(buffer.betweenEvents()).isTrue();
        assertThat(buffer.feed(Buffer.buffer("\n")).length()).as("the end of a line, but not of the event").isZero();
        assertThat(buffer.feed(Buffer.buffer("\n")).toString()).isEqualTo("event: b\ndata: 2\n\n");
        assertThat(buffer.rest().length()).isZero();
    }

    @Test
    void endsEventsAtEveryKindOfBlankLine() {
        SseRelayBuffer buffer = new SseRelayBuffer();

        assertThat(buffer.feed(Buffer.buffer("data: 1\r\n\r\ndata: 2\r\rdata: 3")).toString())
                .isEqualTo("data: 1\r\n\r\ndata: 2\r\r");
        assertThat(buffer.rest().toString()).isEqualTo("data: 3");
    }

    @Test
    void crlfSplitBetweenReadsEndsEventOnce() {
        SseRelayBuffer buffer = new SseRelayBuffer();

        assertThat(buffer.feed(Buffer.buffer("data: 1\r")).length()).isZero();
        assertThat(buffer.feed(Buffer.buffer("\n\r")).toString()).isEqualTo("data: 1\r\n\r");
        assertThat(buffer.feed(Buffer.buffer("\ndata: 2\r\n")).length()).as("the LF of the blank line's CRLF").isZero();
        assertThat(buffer.rest().toString()).isEqualTo("\ndata: 2\r\n");
    }

    @Test
    void passesOnEventTooLongToHold() {
        SseRelayBuffer buffer = new SseRelayBuffer();
        Buffer huge = Buffer.buffer("data: " + "x".repeat(FrameParser.MAX_FRAME_BYTES));

        assertThat(buffer.feed(huge).length()).isEqualTo(huge.length());
        assertThat(buffer.betweenEvents()).isFalse();
        assertThat(buffer.feed(Buffer.buffer("\n\ndata: 2")).toString()).isEqualTo("\n\n");
        assertThat(buffer.betweenEvents()).isTrue();
    }
}
