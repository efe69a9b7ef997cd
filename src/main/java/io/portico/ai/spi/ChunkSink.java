package io.portico.ai.spi;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Receives a translated stream: OpenAI {@code chat.completion.chunk} objects, usage as it becomes known, errors. */
public interface ChunkSink {

    /** Delivers one chunk in OpenAI's shape, without a {@code usage} field. */
    void chunk(ObjectNode chunk);

    /** Reports token counts; later reports replace the counts they carry. */
    void usage(Usage usage);

    /** Reports an error the provider sent inside the stream; no chunk follows. */
    void fail(AiError error);
}
