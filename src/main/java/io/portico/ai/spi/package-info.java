/**
 * The contract between Portico's AI gateway and provider adapters: the internal request form, calls, stream
 * frames, translated chunks, usage and errors.
 */
package io.portico.ai.spi;
