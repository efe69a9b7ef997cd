/** The AI gateway: OpenAI- and Anthropic-compatible endpoints in front of model providers, as route backends. */
package io.portico.ai;
