package io.portico.ai.frontend;

import io.portico.ai.spi.AiError;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;

/**
 * Writes one streamed response to the client in the client's protocol. Nothing reaches the client before the first
 * content, tool call or finish reason, so a request can still fail over to another provider until then.
 */
public interface StreamWriter extends ChunkSink {

    /** True once the response headers have been written, and the stream can no longer fail over. */
    boolean started();

    /** Relays one event of a provider that speaks the client's protocol, as it is. */
    void nativeFrame(StreamFrame frame);

    /** Ends the stream normally, with {@code usage} where the protocol carries it. */
    void finish(Usage usage);

    /** Ends a started stream with a terminal error event, never a normal stop. */
    void abort(AiError error);
}
