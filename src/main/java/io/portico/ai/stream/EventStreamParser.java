package io.portico.ai.stream;

import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/** Parses the AWS event stream binary framing. */
final class EventStreamParser implements FrameParser {

    @Override
    public void feed(Buffer bytes, Consumer<StreamFrame> frames) {
        throw new UnsupportedOperationException("the AWS event stream framing is not implemented yet");
    }

    @Override
    public void end(Consumer<StreamFrame> frames) {
    }
}
