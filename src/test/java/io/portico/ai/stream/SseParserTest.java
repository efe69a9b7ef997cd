package io.portico.ai.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.ai.spi.Framing;
import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Server-sent event parsing: fields, line endings, split reads, the end of the stream and the size limit. */
class SseParserTest {

    private static final String STREAM = "event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
            + ": keep-alive comment\n"
            + "data: first line\ndata:second line\nid: 7\n\n"
            + "data: caf\u00e9\r\r"
            + "event: empty\n\n"
            + "data: [DONE]\n\n";

    @Test
    void parsesFieldsAndLineEndings() {
        List<StreamFrame> frames = parse(List.of(STREAM.getBytes(StandardCharsets.UTF_8)));

        assertThat(frames).extracting(StreamFrame::event).containsExactly("message_start", null, null, null);
        assertThat(frames).extracting(StreamFrame::data)
                .containsExactly("{\"a\":1}", "first line\nsecond line", "caf\u00e9", "[DONE]");
    }

    @Test
    void everySplitPointGivesSameFrames() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        List<StreamFrame> whole = parse(List.of(bytes));

        for (int split = 1; split < bytes.length; split++) {
            List<byte[]> reads = List.of(Arrays.copyOfRange(bytes, 0, split),
                    Arrays.copyOfRange(bytes, split, bytes.length));
            assertThat(parse(reads)).as("split at byte %d", split).isEqualTo(whole);
        }
    }

    @Test
    void eventCutOffByEndIsDropped() {
        List<StreamFrame> frames = parse(List.of("data: whole\n\ndata: {\"cut\": tr".getBytes(StandardCharsets.UTF_8)));

        assertThat(frames).extracting(StreamFrame::data).containsExactly("whole");
    }

    @Test
    void overlongLineIsRejected() {
        FrameParser parser = FrameParser.create(Framing.SSE);
        List<StreamFrame> frames = new ArrayList<>();
        byte[] chunk = new byte[1024 * 1024];
        Arrays.fill(chunk, (byte) 'a');
        parser.feed(Buffer.buffer("data: {\"x\":\""), frames::add);

        assertThatThrownBy(() -> {
            for (int i = 0; i <= FrameParser.MAX_FRAME_BYTES / chunk.length; i++) {
                parser.feed(Buffer.buffer(chunk), frames::add);
            }
        }).isInstanceOf(FrameTooLargeException.class).hasMessageContaining("longer than");
        assertThat(frames).isEmpty();
    }

    @Test
    void overlongEventOfManyLinesIsRejected() {
        FrameParser parser = FrameParser.create(Framing.SSE);
        String line = "data: " + "b".repeat(1024 * 1024 - 7) + "\n";
        Buffer lines = Buffer.buffer(line.getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> {
            for (int i = 0; i <= FrameParser.MAX_FRAME_BYTES / line.length(); i++) {
                parser.feed(lines, frame -> { });
            }
        }).isInstanceOf(FrameTooLargeException.class).hasMessageContaining("stream event");
    }

    @Test
    void jsonLinesKeepUnterminatedLastLine() {
        FrameParser parser = FrameParser.create(Framing.JSON_LINES);
        List<StreamFrame> frames = new ArrayList<>();

        parser.feed(Buffer.buffer("{\"a\":1}\r\n\n{\"done\":true}"), frames::add);
        parser.end(frames::add);

        assertThat(frames).extracting(StreamFrame::data).containsExactly("{\"a\":1}", "{\"done\":true}");
    }

    private static List<StreamFrame> parse(List<byte[]> reads) {
        FrameParser parser = FrameParser.create(Framing.SSE);
        List<StreamFrame> frames = new ArrayList<>();
        for (byte[] read : reads) {
            parser.feed(Buffer.buffer(read), frames::add);
        }
        parser.end(frames::add);
        return frames;
    }
}
