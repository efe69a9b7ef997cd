package io.portico.ai.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.mock.EventStreamWriter;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventStreamParserTest {

    private static final String DELTA = "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Grüße\"},\"p\":\"abcdefgh\"}";
    private static final String STOP = "{\"stopReason\":\"end_turn\"}";

    @Test
    void emptyMessageFromSpecification() {
        // The empty message of the AWS event stream test vectors: total 16, no headers, prelude CRC, message CRC.
        Buffer bytes = Buffer.buffer(HexFormat.of().parseHex("000000100000000005c248eb7d98c8ff"));

        List<StreamFrame> frames = parse(bytes);

        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).event()).isNull();
        assertThat(frames.get(0).data()).isEmpty();
        assertThat(frames.get(0).headers()).isEmpty();
    }

    @Test
    void eventHeadersAndPayload() {
        List<StreamFrame> frames = parse(EventStreamWriter.event("contentBlockDelta", DELTA));

        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).event()).isEqualTo("contentBlockDelta");
        assertThat(frames.get(0).data()).isEqualTo(DELTA);
        assertThat(frames.get(0).headers()).containsExactly(
                Map.entry(":event-type", "contentBlockDelta"),
                Map.entry(":content-type", "application/json"),
                Map.entry(":message-type", "event"));
    }

    @Test
    void everyHeaderType() {
        Buffer headers = Buffer.buffer();
        header(headers, "t", 0);
        header(headers, "f", 1);
        header(headers, "b", 2).appendByte((byte) -5);
        header(headers, "s", 3).appendShort((short) 300);
        header(headers, "i", 4).appendInt(-70000);
        header(headers, "l", 5).appendLong(1L << 40);
        header(headers, "bytes", 6).appendUnsignedShort(3).appendBytes(new byte[] {1, 2, 3});
        header(headers, ":event-type", 7).appendUnsignedShort(4).appendString("ping");
        header(headers, "time", 8).appendLong(1_700_000_000_123L);
        header(headers, "id", 9).appendLong(0x0123456789abcdefL).appendLong(0x0fedcba987654321L);

        List<StreamFrame> frames = parse(EventStreamWriter.message(headers, "{}".getBytes(StandardCharsets.UTF_8)));

        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).event()).isEqualTo("ping");
        assertThat(frames.get(0).headers()).containsExactly(
                Map.entry("t", "true"),
                Map.entry("f", "false"),
                Map.entry("b", "-5"),
                Map.entry("s", "300"),
                Map.entry("i", "-70000"),
                Map.entry("l", "1099511627776"),
                Map.entry("bytes", "AQID"),
                Map.entry(":event-type", "ping"),
                Map.entry("time", "2023-11-14T22:13:20.123Z"),
                Map.entry("id", "01234567-89ab-cdef-0fed-cba987654321"));
    }

    @Test
    void framesSplitAtEveryByte() {
        Buffer stream = Buffer.buffer()
                .appendBuffer(EventStreamWriter.event("contentBlockDelta", DELTA))
                .appendBuffer(EventStreamWriter.event("messageStop", STOP));

        for (int split = 0; split <= stream.length(); split++) {
            FrameParser parser = FrameParser.create(Framing.AWS_EVENT_STREAM);
            List<StreamFrame> frames = new ArrayList<>();
            parser.feed(stream.getBuffer(0, split), frames::add);
            parser.feed(stream.getBuffer(split, stream.length()), frames::add);
            parser.end(frames::add);

            assertThat(frames).as("split at %d", split).extracting(StreamFrame::event)
                    .containsExactly("contentBlockDelta", "messageStop");
            assertThat(frames.get(0).data()).as("split at %d", split).isEqualTo(DELTA);
            assertThat(frames.get(1).data()).as("split at %d", split).isEqualTo(STOP);
        }
    }

    @Test
    void framesFedOneByteAtATime() {
        Buffer stream = Buffer.buffer()
                .appendBuffer(EventStreamWriter.event("contentBlockDelta", DELTA))
                .appendBuffer(EventStreamWriter.event("messageStop", STOP));
        FrameParser parser = FrameParser.create(Framing.AWS_EVENT_STREAM);
        List<StreamFrame> frames = new ArrayList<>();

        for (int i = 0; i < stream.length(); i++) {
            parser.feed(stream.getBuffer(i, i + 1), frames::add);
        }
        parser.end(frames::add);

        assertThat(frames).extracting(StreamFrame::data).containsExactly(DELTA, STOP);
    }

    @Test
    void badMessageCrcEndsStream() {
        Buffer message = EventStreamWriter.event("messageStop", STOP);
        int last = message.length() - 1;
        message.setByte(last, (byte) (message.getByte(last) ^ 1));
        FrameParser parser = FrameParser.create(Framing.AWS_EVENT_STREAM);
        List<StreamFrame> frames = new ArrayList<>();

        parser.feed(message, frames::add);
        parser.feed(EventStreamWriter.event("messageStop", STOP), frames::add);
        parser.end(frames::add);

        assertThat(frames).hasSize(1);
        assertMalformed(frames.get(0), "event stream message CRC mismatch");
    }

    @Test
    void corruptPayloadEndsStream() {
        Buffer message = EventStreamWriter.event("contentBlockDelta", DELTA);
        message.setByte(message.length() - 10, (byte) 'X');

        assertThat(parse(message)).singleElement()
                .satisfies(frame -> assertMalformed(frame, "event stream message CRC mismatch"));
    }

    @Test
    void badPreludeCrcEndsStream() {
        Buffer message = EventStreamWriter.event("messageStop", STOP);
        message.setByte(9, (byte) (message.getByte(9) ^ 0x40));

        assertThat(parse(message)).singleElement()
                .satisfies(frame -> assertMalformed(frame, "event stream prelude CRC mismatch"));
    }

    @Test
    void oversizedLengthEndsBeforeBuffering() {
        Buffer prelude = Buffer.buffer().appendInt(EventStreamParser.MAX_MESSAGE_LENGTH + 1).appendInt(0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(prelude.getBytes());
        prelude.appendUnsignedInt(crc.getValue());

        assertThat(parse(prelude)).singleElement()
                .satisfies(frame -> assertMalformed(frame, "invalid event stream message length 16777217"));
    }

    @Test
    void headerPastSectionEndsStream() {
        Buffer headers = Buffer.buffer();
        header(headers, "s", 7).appendUnsignedShort(200).appendString("short");

        assertThat(parse(EventStreamWriter.message(headers, new byte[0]))).singleElement()
                .satisfies(frame -> assertMalformed(frame, "event stream header runs past the headers section"));
    }

    @Test
    void truncatedStreamReportedAtEnd() {
        Buffer message = EventStreamWriter.event("messageStop", STOP);
        FrameParser parser = FrameParser.create(Framing.AWS_EVENT_STREAM);
        List<StreamFrame> frames = new ArrayList<>();
        parser.feed(message.getBuffer(0, message.length() - 3), frames::add);

        parser.end(frames::add);

        assertThat(frames).singleElement().satisfies(frame -> assertMalformed(frame,
                "the event stream ended inside a message, " + (message.length() - 3)
                        + " bytes after the last complete one"));
    }

    private static void assertMalformed(StreamFrame frame, String message) {
        assertThat(frame.event()).isNull();
        assertThat(frame.headers()).containsExactly(
                Map.entry(":message-type", "error"),
                Map.entry(":error-code", "MalformedEventStream"),
                Map.entry(":error-message", message));
    }

    private static Buffer header(Buffer headers, String name, int type) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return headers.appendByte((byte) bytes.length).appendBytes(bytes).appendByte((byte) type);
    }

    private static List<StreamFrame> parse(Buffer bytes) {
        FrameParser parser = FrameParser.create(Framing.AWS_EVENT_STREAM);
        List<StreamFrame> frames = new ArrayList<>();
        parser.feed(bytes, frames::add);
        parser.end(frames::add);
        return frames;
    }
}
