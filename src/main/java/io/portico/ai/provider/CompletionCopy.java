package io.portico.ai.provider;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.portico.ai.spi.CopiedCompletion;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * Copies an OpenAI chat completion token by token from the provider's body to the client's, for
 * {@link OpenAiAdapter#copyChatResponse}. The copy builds only the tree of the {@code usage} object. For the
 * 302-byte completion of {@code bench/ai-vs-nginx-portkey.sh}, parsing and writing the whole tree allocated 3,776
 * bytes and the copy 2,224 (measured with {@code ThreadMXBean} after warm-up).
 *
 * <p>The copy writes what serializing {@link OpenAiAdapter#chatResponse}'s result would write: the same generator
 * settings, the same numbers and the same escapes, whatever the provider's layout. It covers only the completions
 * that {@code chatResponse} leaves unchanged and that pass every check of the tree's path, and returns null for
 * any other body, which then takes that path:
 *
 * <ul>
 *   <li>a body that is not a JSON object, or that repeats a key in any object;
 *   <li>a top-level {@code usage} that is missing or not an object, or that counts no tokens, so that usage must be
 *       looked for elsewhere or estimated;
 *   <li>a top-level {@code x_groq}, a {@code usage} inside a choice, or {@code tool_calls} in a message, which
 *       {@code chatResponse} moves, removes or completes;
 *   <li>{@code choices} whose first element is not an object with a {@code message} object;
 *   <li>an object with more than {@value #MAX_KEYS} keys or nesting deeper than {@value #MAX_DEPTH} levels.
 * </ul>
 */
final class CompletionCopy {

    /** The maximum number of keys of one object that the copy compares for repeats, each with those before it. */
    static final int MAX_KEYS = 64;
    /** The maximum nesting of objects, and of arrays within one value, that the copy follows recursively. */
    static final int MAX_DEPTH = 32;

    private static final ThreadLocal<KeyStack> KEYS = ThreadLocal.withInitial(KeyStack::new);
    /**
     * Writes the {@code usage} tree into the copy. Unlike {@code ObjectMapper.writeTree}, it does not flush the
     * generator after the tree, so the whole copy still reaches its buffer in one write.
     */
    private static final ObjectWriter TREE_WRITER = Json.MAPPER.writer()
            .without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);

    private CompletionCopy() {
    }

    /** Copies the completion in {@code body}, or returns null when it needs the tree's path. */
    static CopiedCompletion copy(Buffer body) {
        Wire.BufferOutput output = new Wire.BufferOutput();
        KeyStack keys = KEYS.get();
        keys.clear();
        Usage usage;
        try (JsonParser parser = Wire.responseParser(body);
             JsonGenerator generator = Json.MAPPER.createGenerator(output)) {
            usage = copyRoot(parser, generator, keys);
        } catch (IOException e) {
            return null;
        }
        if (usage == null || usage.totalTokens() <= 0) {
            return null;
        }
        return new CopiedCompletion(output.buffer(), usage);
    }

    /** Copies the top-level object and returns its usage, or null when the completion needs the tree's path. */
    private static Usage copyRoot(JsonParser parser, JsonGenerator generator, KeyStack keys) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        generator.writeStartObject();
        keys.push();
        Usage usage = null;
        boolean choices = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            if (!keys.add(name) || name.equals("x_groq")) {
                return null;
            }
            generator.writeFieldName(name);
            JsonToken value = parser.nextToken();
            if (name.equals("usage")) {
                if (value != JsonToken.START_OBJECT) {
                    return null;
                }
                // A repeated key in the tree fails the read, as it fails the tree of the whole body.
                JsonNode tree = Wire.RESPONSES.readTree(parser);
                usage = OpenAiUsage.read(tree);
                TREE_WRITER.writeValue(generator, tree);
            } else if (name.equals("choices")) {
                if (!copyChoices(parser, generator, keys)) {
                    return null;
                }
                choices = true;
            } else if (!copyValue(parser, generator, keys, 1)) {
                return null;
            }
        }
        keys.pop();
        generator.writeEndObject();
        return choices ? usage : null;
    }

    /** Copies {@code choices}, whose first element must be an object with a {@code message} object. */
    private static boolean copyChoices(JsonParser parser, JsonGenerator generator, KeyStack keys)
            throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            return false;
        }
        generator.writeStartArray();
        boolean first = true;
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token == JsonToken.START_OBJECT) {
                if (!copyChoice(parser, generator, keys, first)) {
                    return false;
                }
            } else if (first || !copyValue(parser, generator, keys, 1)) {
                return false;
            }
            first = false;
        }
        generator.writeEndArray();
        return !first;
    }

    /** Copies one choice object, which must have no {@code usage} and, when {@code first}, a message object. */
    private static boolean copyChoice(JsonParser parser, JsonGenerator generator, KeyStack keys, boolean first)
            throws IOException {
        generator.writeStartObject();
        keys.push();
        boolean message = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            if (!keys.add(name) || name.equals("usage")) {
                return false;
            }
            generator.writeFieldName(name);
            JsonToken value = parser.nextToken();
            if (name.equals("message") && value == JsonToken.START_OBJECT) {
                message = true;
                if (!copyMessage(parser, generator, keys)) {
                    return false;
                }
            } else if (!copyValue(parser, generator, keys, 1)) {
                return false;
            }
        }
        keys.pop();
        generator.writeEndObject();
        return message || !first;
    }

    /** Copies a message object, which must have no {@code tool_calls}. */
    private static boolean copyMessage(JsonParser parser, JsonGenerator generator, KeyStack keys)
            throws IOException {
        generator.writeStartObject();
        keys.push();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            if (!keys.add(name) || name.equals("tool_calls")) {
                return false;
            }
            generator.writeFieldName(name);
            parser.nextToken();
            if (!copyValue(parser, generator, keys, 1)) {
                return false;
            }
        }
        keys.pop();
        generator.writeEndObject();
        return true;
    }

    /** Copies the value at the parser's current token, and returns false when it needs the tree's path. */
    private static boolean copyValue(JsonParser parser, JsonGenerator generator, KeyStack keys, int nesting)
            throws IOException {
        JsonToken token = parser.currentToken();
        boolean container = token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY;
        if (container && (nesting > MAX_DEPTH || keys.depth() >= MAX_DEPTH)) {
            return false;
        }
        if (token == JsonToken.START_OBJECT) {
            generator.writeStartObject();
            keys.push();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                if (!keys.add(name)) {
                    return false;
                }
                generator.writeFieldName(name);
                parser.nextToken();
                if (!copyValue(parser, generator, keys, nesting + 1)) {
                    return false;
                }
            }
            keys.pop();
            generator.writeEndObject();
            return true;
        }
        if (token == JsonToken.START_ARRAY) {
            generator.writeStartArray();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                if (!copyValue(parser, generator, keys, nesting + 1)) {
                    return false;
                }
            }
            generator.writeEndArray();
            return true;
        }
        generator.copyCurrentEvent(parser);
        return true;
    }

    /**
     * The keys of the objects that the copy is inside, one segment per object, for finding repeated keys without
     * allocating. One instance per thread is reused, so its arrays are sized once for the limits.
     */
    private static final class KeyStack {
        private final String[] keys = new String[MAX_KEYS * (MAX_DEPTH + 2)];
        /** The index in {@link #keys} where each open object's keys start. */
        private final int[] starts = new int[MAX_DEPTH + 2];
        private int size;
        private int depth;

        void clear() {
            size = 0;
            depth = 0;
        }

        int depth() {
            return depth;
        }

        void push() {
            starts[depth++] = size;
        }

        void pop() {
            size = starts[--depth];
        }

        /** Adds a key of the innermost object, and returns false when the object has it already or is too large. */
        boolean add(String key) {
            int start = starts[depth - 1];
            if (size - start >= MAX_KEYS) {
                return false;
            }
            for (int i = start; i < size; i++) {
                if (keys[i].equals(key)) {
                    return false;
                }
            }
            keys[size++] = key;
            return true;
        }
    }
}
