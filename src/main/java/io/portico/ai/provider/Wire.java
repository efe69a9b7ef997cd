package io.portico.ai.provider;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.config.Json;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.UUID;

/** Helpers that every adapter uses to read and write JSON bodies and error responses. */
public final class Wire {

    private Wire() {
    }

    /** Serializes {@code body} into a buffer. */
    public static Buffer json(JsonNode body) {
        BufferOutput output = new BufferOutput();
        try {
            Json.MAPPER.writeValue(output, body);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree failed to serialize", e);
        }
        return output.buffer();
    }

    /**
     * The output of {@link #json}. Jackson's generator collects its output in a recycled buffer of several
     * kilobytes and writes it out when that fills and at the end. A small document therefore arrives in one write
     * and gets a buffer of exactly its size, with no copy in between.
     */
    static final class BufferOutput extends OutputStream {
        private Buffer buffer;

        @Override
        public void write(int b) {
            if (buffer == null) {
                buffer = Buffer.buffer();
            }
            buffer.appendByte((byte) b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            if (buffer == null) {
                buffer = Buffer.buffer(length);
            }
            buffer.appendBytes(bytes, offset, length);
        }

        Buffer buffer() {
            return buffer == null ? Buffer.buffer(0) : buffer;
        }
    }

    /**
     * Parses {@code bytes} with {@code mapper}. A heap buffer is read where it lies, and only other buffers are
     * copied first.
     */
    private static JsonNode readTree(ObjectMapper mapper, Buffer bytes) throws IOException {
        ByteBuf content = heapContent(bytes);
        if (content != null) {
            return mapper.readTree(content.array(), content.arrayOffset() + content.readerIndex(),
                    content.readableBytes());
        }
        return mapper.readTree(bytes.getBytes());
    }

    /**
     * Creates a parser of a provider's body with the settings of {@link #parse(Buffer)}, which reads a heap buffer
     * where it lies.
     */
    static JsonParser responseParser(Buffer bytes) throws IOException {
        ByteBuf content = heapContent(bytes);
        if (content != null) {
            return RESPONSES.createParser(content.array(), content.arrayOffset() + content.readerIndex(),
                    content.readableBytes());
        }
        return RESPONSES.createParser(bytes.getBytes());
    }

    /** Returns the Netty buffer of {@code bytes} when it has a backing array, and null otherwise. */
    private static ByteBuf heapContent(Buffer bytes) {
        if (bytes instanceof BufferInternal internal) {
            ByteBuf content = internal.getByteBuf();
            return content.hasArray() ? content : null;
        }
        return null;
    }

    /**
     * Returns a new chat completion id, {@code chatcmpl-} and 32 random hexadecimal digits, for a response whose
     * provider sends no id, so that no two responses share one.
     */
    public static String completionId() {
        return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Parses {@code text} as JSON, or returns null when it is not JSON. */
    public static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** Jackson's location in a parser message, with the line and column when it gives them. */
    private static final java.util.regex.Pattern SOURCE = java.util.regex.Pattern.compile(
            "\\[Source: [^;\\]]*(?:; line: (\\d+), column: (\\d+))?\\]");

    /** Reads client bodies: strings up to 64 Mi characters, for inline images and long prompts. */
    private static final com.fasterxml.jackson.databind.ObjectMapper REQUESTS = requestMapper();

    private static com.fasterxml.jackson.databind.ObjectMapper requestMapper() {
        com.fasterxml.jackson.databind.ObjectMapper mapper = Json.MAPPER.copy();
        mapper.getFactory().setStreamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                .maxStringLength(64 * 1024 * 1024).build());
        return mapper;
    }

    /**
     * Parses a client's request body.
     *
     * @throws AiException with status 400 and the parser's reason when the body is not a JSON object
     */
    public static ObjectNode parseRequest(Buffer bytes) {
        JsonNode json;
        try {
            json = readTree(REQUESTS, bytes);
        } catch (java.io.IOException e) {
            // Data binding may wrap the parser's exception.
            Throwable limit = e;
            while (limit != null && !(limit instanceof StreamConstraintsException)) {
                limit = limit.getCause();
            }
            if (limit instanceof StreamConstraintsException exceeded) {
                throw new AiException(AiError.of(400, exceededLimit(exceeded)));
            }
            String reason = e instanceof com.fasterxml.jackson.core.JsonProcessingException parse
                    ? parse.getOriginalMessage() : e.getMessage();
            throw new AiException(AiError.of(400, "the request body is not valid JSON: " + withoutSource(reason)));
        }
        if (!(json instanceof ObjectNode object)) {
            throw new AiException(AiError.of(400, "the request body must be a JSON object"));
        }
        return object;
    }

    /** Returns the message of a request body over a limit of the parser, naming the limit rather than its setting. */
    private static String exceededLimit(StreamConstraintsException e) {
        StreamReadConstraints limits = REQUESTS.getFactory().streamReadConstraints();
        String reason = String.valueOf(e.getOriginalMessage());
        if (reason.contains("nesting depth")) {
            return "the request body's JSON nests too deeply: at most " + limits.getMaxNestingDepth()
                    + " levels of arrays and objects are allowed";
        }
        if (reason.contains("String value length")) {
            return "the request body contains a string longer than " + limits.getMaxStringLength() + " characters";
        }
        if (reason.contains("Number value length")) {
            return "the request body contains a number longer than " + limits.getMaxNumberLength() + " characters";
        }
        return "the request body exceeds a limit of the JSON parser: " + CONSTRAINT_SETTING.matcher(reason)
                .replaceAll("").strip();
    }

    /** The part of a Jackson limit message that names its setting: {@code , from `StreamReadConstraints...`}. */
    private static final java.util.regex.Pattern CONSTRAINT_SETTING = java.util.regex.Pattern.compile(
            ",? from `[^`]*`");

    /**
     * Returns a parser message with Jackson's location, such as {@code [Source: REDACTED (...); line: 1,
     * column: 9]}, shortened to {@code line 1, column 9}, since the rest names the parser's settings.
     */
    private static String withoutSource(String reason) {
        if (reason == null) {
            return "unreadable input";
        }
        return SOURCE.matcher(reason).replaceAll(match -> match.group(1) == null ? ""
                : "line " + match.group(1) + ", column " + match.group(2)).strip();
    }

    /** Returns the error that ends a stream whose event {@code data} is not the JSON the provider's format requires. */
    public static AiError invalidEvent(String data) {
        String start = data.length() > 40 ? data.substring(0, 40) + "..." : data;
        return AiError.of(502, "the provider sent a stream event that is not valid JSON: " + start);
    }

    /**
     * Reads provider responses and stream events. Strings have no length limit of their own, because the bodies are
     * bounded before parsing: responses by {@code ai.maxResponseBytes}, stream events by the 16 MiB line limit.
     *
     * <p>A repeated key fails the parse, as with {@link Json#MAPPER}, but the tree reader detects it when it adds
     * the key to its object, rather than the parser keeping a set of each object's keys. For the 302-byte completion
     * of {@code bench/ai-vs-nginx-portkey.sh}, the parser's sets were about 1,000 of the 3,800 bytes that a parse
     * allocated (measured with {@code ThreadMXBean} after warm-up). Where the parser would name the repeated key,
     * the tree reader may first report a syntax error in that key's value. That makes no difference here, because
     * every failure to parse a provider's body returns null.
     */
    static final ObjectMapper RESPONSES = responseMapper();

    private static ObjectMapper responseMapper() {
        ObjectMapper mapper = Json.MAPPER.copy();
        mapper.getFactory().setStreamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE).build());
        mapper.getFactory().disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return mapper.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }

    /** Parses {@code bytes} as JSON, or returns null when they are not JSON. */
    public static JsonNode parse(Buffer bytes) {
        try {
            return readTree(RESPONSES, bytes);
        } catch (IOException e) {
            return null;
        }
    }

    /** Returns the text of {@code node.field}, or null when it is absent or null. */
    public static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** Returns the number at {@code node.field}, or 0. */
    public static long number(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || !value.isNumber() ? 0 : value.asLong();
    }

    /** Returns the object at {@code node.field}, or null. */
    public static ObjectNode object(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value instanceof ObjectNode object ? object : null;
    }

    /** Joins a base URL and a path with exactly one slash between them. */
    /**
     * Rejects a model or deployment id that would be a whole path segment of {@code .} or {@code ..} in a provider
     * URL. Percent-encoding leaves such a segment as it is, and a server or proxy that removes dot segments (RFC
     * 3986, section 5.2.4) would send the call, with its credentials, to another path of the provider.
     *
     * @param id the id as it goes into the path
     * @param description what the id is, such as {@code model} or {@code deployment}, for the error message
     * @throws AiException with status 400 about the request's {@code model} when {@code id} is a dot segment
     */
    public static void rejectDotSegment(String id, String description) {
        if (".".equals(id) || "..".equals(id)) {
            throw AiException.invalidParam("model", description + " '" + id + "' is invalid, because this provider "
                    + "sends it as a URL path segment, which cannot be '.' or '..'");
        }
    }

    public static String join(String baseUrl, String path) {
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        return path.startsWith("/") ? base + path : base + "/" + path;
    }

    /**
     * Reads the error event of a provider's stream, which has no HTTP status of its own. The status follows the
     * event's error type as the Anthropic API uses it: 529 for {@code overloaded_error}, 429 for
     * {@code rate_limit_error}, 400 for {@code invalid_request_error} and 500 for any other type.
     */
    public static AiError streamError(String data) {
        JsonNode json = parse(data);
        String type = json == null ? "" : json.path("error").path("type").asText("");
        int status = switch (type) {
            case "overloaded_error" -> 529;
            case "rate_limit_error" -> 429;
            case "invalid_request_error" -> 400;
            default -> 500;
        };
        return error(status, null, Buffer.buffer(data), "provider");
    }

    /**
     * Reads a provider's error body in the shapes providers use, {@code {"error":{"message":...}}},
     * {@code {"error":"..."}}, {@code {"message":...}} or a JSON array of those, with the status the provider sent
     * and its Retry-After.
     */
    public static AiError error(int status, MultiMap headers, Buffer body, String providerName) {
        JsonNode json = body == null ? null : parse(body);
        if (json != null && json.isArray() && !json.isEmpty()) {
            json = json.get(0);
        }
        String message = null;
        String type = null;
        String code = null;
        if (json != null) {
            JsonNode error = json.get("error");
            if (error != null && error.isObject()) {
                message = text(error, "message");
                type = text(error, "type");
                code = text(error, "code");
                if (type == null) {
                    type = text(error, "status");
                }
            } else if (error != null && error.isTextual()) {
                message = error.asText();
            }
            if (message == null) {
                message = text(json, "message");
            }
        }
        if (message == null) {
            message = body == null || body.length() == 0 ? "no error details"
                    : body.toString().substring(0, Math.min(body.length(), 500));
        }
        return new AiError(status, type != null && !type.isBlank() ? normalizeType(type, status)
                : AiError.typeFor(status), code, providerName + ": " + message, retryAfterMillis(headers));
    }

    private static String normalizeType(String type, int status) {
        return type.matches("[a-z_]+") ? type : AiError.typeFor(status);
    }

    /** Reads Retry-After (seconds or an HTTP date) and retry-after-ms; -1 when absent or unreadable. */
    public static long retryAfterMillis(MultiMap headers) {
        if (headers == null) {
            return -1;
        }
        String millis = headers.get("retry-after-ms");
        if (millis != null) {
            try {
                return Math.max(0, (long) Double.parseDouble(millis.trim()));
            } catch (NumberFormatException e) {
                // falls through to Retry-After
            }
        }
        String value = headers.get("retry-after");
        if (value == null) {
            return -1;
        }
        try {
            return Math.max(0, (long) (Double.parseDouble(value.trim()) * 1000));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis());
            } catch (DateTimeParseException unreadable) {
                return -1;
            }
        }
    }
}
