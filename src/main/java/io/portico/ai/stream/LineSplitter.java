package io.portico.ai.stream;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits bytes into lines ending in LF, CRLF or CR, and decodes each complete line as UTF-8, so a character split
 * between two network reads is decoded whole. A line longer than {@link FrameParser#MAX_FRAME_BYTES} raises
 * {@link FrameTooLargeException}.
 */
final class LineSplitter {

    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private boolean afterCr;

    void feed(Buffer bytes, Consumer<String> lines) {
        byte[] input = bytes.getBytes();
        int start = 0;
        for (int i = 0; i < input.length; i++) {
            byte b = input[i];
            if (b != '\n' && b != '\r') {
                continue;
            }
            append(input, start, i - start);
            start = i + 1;
            if (b == '\r') {
                emit(lines);
                afterCr = true;
            } else {
                // The LF of a CRLF ends nothing more, because the CR already ended the line.
                if (!afterCr) {
                    emit(lines);
                }
                afterCr = false;
            }
        }
        append(input, start, input.length - start);
    }

    /** Emits the last line when the input ended without a line break. */
    void end(Consumer<String> lines) {
        if (line.size() > 0) {
            emit(lines);
        }
    }

    private void append(byte[] input, int offset, int length) {
        if (length == 0) {
            return;
        }
        if (line.size() + (long) length > FrameParser.MAX_FRAME_BYTES) {
            line.reset();
            throw new FrameTooLargeException("a stream line is longer than " + FrameParser.MAX_FRAME_BYTES
                    + " bytes");
        }
        afterCr = false;
        line.write(input, offset, length);
    }

    private void emit(Consumer<String> lines) {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        lines.accept(text);
    }
}
