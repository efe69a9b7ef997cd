/** Parsers that split providers' streamed responses into events: server-sent events, JSON lines, AWS event stream. */
package io.portico.ai.stream;
