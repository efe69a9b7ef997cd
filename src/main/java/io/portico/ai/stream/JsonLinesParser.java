package io.portico.ai.stream;

import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/** Parses one JSON document per line; blank lines are skipped. */
final class JsonLinesParser implements FrameParser {

    private final LineSplitter lines = new LineSplitter();

    @Override
    public void feed(Buffer bytes, Consumer<StreamFrame> frames) {
        lines.feed(bytes, line -> emit(line, frames));
    }

    @Override
    public void end(Consumer<StreamFrame> frames) {
        lines.end(line -> emit(line, frames));
    }

    private static void emit(String line, Consumer<StreamFrame> frames) {
        if (!line.isBlank()) {
            frames.accept(StreamFrame.of(null, line));
        }
    }
}
