package io.portico.ai.stream;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits bytes into lines ending in LF, CRLF or CR, and decodes each complete line as UTF-8, so a character split
 * between two network reads is decoded whole.
 */
final class LineSplitter {

    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private boolean afterCr;

    void feed(Buffer bytes, Consumer<String> lines) {
        int length = bytes.length();
        for (int i = 0; i < length; i++) {
            byte b = bytes.getByte(i);
            if (b == '\n') {
                if (!afterCr) {
                    emit(lines);
                }
                afterCr = false;
            } else if (b == '\r') {
                emit(lines);
                afterCr = true;
            } else {
                afterCr = false;
                line.write(b);
            }
        }
    }

    /** Emits the last line when the input ended without a line break. */
    void end(Consumer<String> lines) {
        if (line.size() > 0) {
            emit(lines);
        }
    }

    private void emit(Consumer<String> lines) {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        lines.accept(text);
    }
}
