package io.portico.ai.stream;

import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Parses server-sent events as the HTML standard defines them: {@code event:} names the event, {@code data:} lines
 * are joined with newlines, a blank line dispatches, lines starting with {@code :} are comments, and other fields
 * are ignored. An event without data is not dispatched, nor is an event that the end of the stream cut off before
 * its blank line. Data beyond {@link FrameParser#MAX_FRAME_BYTES} raises {@link FrameTooLargeException}.
 */
final class SseParser implements FrameParser {

    private final LineSplitter lines = new LineSplitter();
    private String event;
    private StringBuilder data;
    private Consumer<StreamFrame> out;

    @Override
    public void feed(Buffer bytes, Consumer<StreamFrame> frames) {
        out = frames;
        lines.feed(bytes, this::line);
    }

    @Override
    public void end(Consumer<StreamFrame> frames) {
        event = null;
        data = null;
    }

    private void line(String line) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.charAt(0) == ':') {
            return;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (!value.isEmpty() && value.charAt(0) == ' ') {
            value = value.substring(1);
        }
        if ("data".equals(field)) {
            if (data == null) {
                data = new StringBuilder(value.length());
            } else {
                data.append('\n');
            }
            if (data.length() + (long) value.length() > MAX_FRAME_BYTES) {
                data = null;
                throw new FrameTooLargeException("a stream event is longer than " + MAX_FRAME_BYTES + " bytes");
            }
            data.append(value);
        } else if ("event".equals(field)) {
            event = value;
        }
    }

    private void dispatch() {
        if (data != null) {
            out.accept(StreamFrame.of(event, data.toString()));
        }
        event = null;
        data = null;
    }
}
