package io.portico.ai.spi;

/** The client-facing API families Portico speaks, and the native protocol of providers that share one. */
public enum Protocol {
    /** OpenAI's Chat Completions API; also Portico's internal form of requests, responses and stream chunks. */
    OPENAI,
    /** Anthropic's Messages API. */
    ANTHROPIC
}
