package io.portico.ai.spi;

/**
 * Turns the events of one provider stream into OpenAI chunks. One instance per response, called on one event
 * loop, in order.
 */
public interface StreamTranslator {

    /** Translates one provider event. */
    void frame(StreamFrame frame, ChunkSink sink);

    /** The provider's stream ended; emits what the end implies, such as arguments of tool calls that had none. */
    void end(ChunkSink sink);
}
