package io.portico.ai.spi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Numbers the tool calls of one streamed response from 0, whatever keys the provider uses for them (content block
 * indexes, its own call indexes or call ids), and remembers which calls have received arguments, so that a call
 * without any ends with {@code "{}"}.
 */
public final class ToolCalls {

    private final Map<String, Integer> indexes = new HashMap<>();
    private final List<Boolean> hasArguments = new ArrayList<>();

    /** Returns the index of the call the provider identifies as {@code key}, or -1 when it has not started. */
    public int indexOf(String key) {
        Integer index = indexes.get(key);
        return index == null ? -1 : index;
    }

    /** Starts a call under {@code key} and returns its index, the number of calls started before it. */
    public int start(String key) {
        int index = hasArguments.size();
        indexes.put(key, index);
        hasArguments.add(false);
        return index;
    }

    /** Makes {@code key} a second name of the call at {@code index}. */
    public void alias(String key, int index) {
        indexes.put(key, index);
    }

    /** Records that call {@code index} received a non-empty fragment of arguments. */
    public void arguments(int index) {
        hasArguments.set(index, true);
    }

    /** Returns whether call {@code index} received a non-empty fragment of arguments. */
    public boolean hasArguments(int index) {
        return hasArguments.get(index);
    }

    public int count() {
        return hasArguments.size();
    }

    /** Emits {@code "{}"} as the arguments of every call that received none, and marks them as having arguments. */
    public void completeEmpty(Chunks chunks, ChunkSink sink) {
        completeEmpty(chunks, 0, sink);
    }

    /** Does what {@link #completeEmpty(Chunks, ChunkSink)} does, for the tool calls of choice {@code choice}. */
    public void completeEmpty(Chunks chunks, int choice, ChunkSink sink) {
        for (int i = 0; i < hasArguments.size(); i++) {
            if (!hasArguments.get(i)) {
                sink.chunk(Chunks.forChoice(chunks.toolArguments(i, "{}"), choice));
                hasArguments.set(i, true);
            }
        }
    }
}
