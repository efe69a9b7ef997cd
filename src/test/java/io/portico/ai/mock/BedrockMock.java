package io.portico.ai.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.aws.SigV4Signer;
import io.portico.config.Json;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Amazon Bedrock Runtime API on 127.0.0.1, following the Amazon Bedrock API Reference
 * (bedrock-runtime 2023-09-30): {@code Converse}, {@code ConverseStream} (the ConverseStreamOutput events in the
 * AWS event stream framing, each payload padded with a {@code p} field as Bedrock does) and the error shapes
 * ({@code x-amzn-ErrorType} header, {@code {"message": ...}} body).
 *
 * <p>Authentication is checked as AWS does: a SigV4 {@code Authorization} header is verified by recomputing the
 * signature from the received request (raw path, signed headers, body) with the known secret, and a mismatch,
 * an unknown access key or a time more than 5 minutes off gets 403; a {@code Bearer} API key must match.
 * Requests are validated like the real API: alternating roles starting with user, one member per content block,
 * no blank text, {@code toolConfig} required with tool blocks, temperature and topP within 0 to 1, known image
 * formats, no unknown top-level fields.
 *
 * <p>InvokeModel answers embeddings for Amazon Titan and Cohere Embed models in their documented bodies.
 *
 * <p>Replies come from a queue filled by {@link #reply(ObjectNode)} (a Converse response body), a default text
 * reply otherwise; a stream is derived from the same body. {@link #fault(Fault)} makes the next request fail.
 */
public final class BedrockMock implements AutoCloseable {

    /** Ways the next request fails. */
    public enum Fault {
        /** 429 ThrottlingException. */
        THROTTLE,
        /** 500 InternalServerException. */
        SERVER_ERROR,
        /** The response starts after {@link #SLOW_FIRST_BYTE}. */
        SLOW_FIRST_BYTE,
        /** The stream stops inside its third message and the connection closes. */
        CUT_STREAM,
        /** The stream carries a throttlingException event after its first text delta. */
        STREAM_EXCEPTION,
        /** The stream carries a modelStreamErrorException event after its first text delta. */
        MODEL_STREAM_ERROR,
        /** The stream's second message has a wrong CRC. */
        BAD_CRC
    }

    /** Delay of {@link Fault#SLOW_FIRST_BYTE}. */
    public static final Duration SLOW_FIRST_BYTE = Duration.ofMillis(1500);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern PATH = Pattern.compile("/model/([^/]+)/(converse|converse-stream|invoke)");
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, "
                    + "SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Set<String> TOP_LEVEL = Set.of("messages", "system", "inferenceConfig", "toolConfig",
            "guardrailConfig", "additionalModelRequestFields", "additionalModelResponseFieldPaths",
            "promptVariables", "requestMetadata", "performanceConfig");
    private static final Set<String> IMAGE_FORMATS = Set.of("png", "jpeg", "gif", "webp");

    private final Vertx vertx;
    private final HttpServer server;
    private final String region;
    private final String accessKeyId;
    private final String secretAccessKey;
    private final String apiKey;
    private final Queue<ObjectNode> replies = new ConcurrentLinkedQueue<>();
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();

    /**
     * A request the mock received.
     *
     * @param path the raw path
     * @param model the decoded model id
     * @param headers the request headers
     * @param body the request body as JSON; null when it was not JSON
     */
    public record Recorded(String path, String model, MultiMap headers, JsonNode body) {
    }

    private BedrockMock(String region, String accessKeyId, String secretAccessKey, String apiKey) {
        this.vertx = Vertx.vertx();
        this.region = region;
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.apiKey = apiKey;
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(this::handle);
    }

    /** Starts a mock for {@code region} that accepts the given access key and Bedrock API key. */
    public static BedrockMock start(String region, String accessKeyId, String secretAccessKey, String apiKey) {
        BedrockMock mock = new BedrockMock(region, accessKeyId, secretAccessKey, apiKey);
        try {
            mock.server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            mock.vertx.close();
            throw new IllegalStateException("the Bedrock mock failed to start", e);
        }
        return mock;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** Queues the Converse response body for the next request. */
    public void reply(ObjectNode converseResponse) {
        replies.add(converseResponse);
    }

    /** Makes the next request fail with {@code fault}. */
    public void fault(Fault fault) {
        faults.add(fault);
    }

    /** Returns every request received, in order. */
    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }

    private void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> respond(request, body));
    }

    private void respond(HttpServerRequest request, Buffer body) {
        HttpServerResponse response = request.response();
        Matcher path = PATH.matcher(request.path());
        if (request.method().name().equals("POST") && path.matches()) {
            String model = URLDecoder.decode(path.group(1).replace("+", "%2B"), StandardCharsets.UTF_8);
            JsonNode json = parse(body);
            requests.add(new Recorded(request.path(), model, MultiMap.caseInsensitiveMultiMap()
                    .addAll(request.headers()), json));
            String authError = authenticate(request, body);
            if (authError != null) {
                error(response, 403, authError.substring(0, authError.indexOf(':')),
                        authError.substring(authError.indexOf(':') + 2));
                return;
            }
            if (path.group(2).equals("invoke")) {
                invoke(response, model, json);
                return;
            }
            String invalid = json instanceof ObjectNode object ? validate(object) : "Malformed input request";
            if (invalid != null) {
                error(response, 400, "ValidationException", invalid);
                return;
            }
            Fault fault = faults.poll();
            ObjectNode reply = replies.poll();
            ObjectNode converse = reply != null ? reply : defaultReply();
            boolean stream = path.group(2).equals("converse-stream");
            long delay = fault == Fault.SLOW_FIRST_BYTE ? SLOW_FIRST_BYTE.toMillis() : 0;
            if (delay > 0) {
                vertx.setTimer(delay, id -> sendReply(response, converse, stream, null));
            } else {
                sendReply(response, converse, stream, fault);
            }
            return;
        }
        error(response, 404, "UnknownOperationException", "Unknown operation " + request.path());
    }

    private void sendReply(HttpServerResponse response, ObjectNode converse, boolean stream, Fault fault) {
        if (fault == Fault.THROTTLE) {
            error(response, 429, "ThrottlingException", "Too many requests, please wait before trying again.");
        } else if (fault == Fault.SERVER_ERROR) {
            error(response, 500, "InternalServerException",
                    "The server encountered an internal error while processing the request.");
        } else if (stream) {
            stream(response, converse, fault);
        } else {
            response.putHeader("content-type", "application/json")
                    .putHeader("x-amzn-RequestId", UUID.randomUUID().toString())
                    .end(converse.toString());
        }
    }

    private void stream(HttpServerResponse response, ObjectNode converse, Fault fault) {
        List<Buffer> events = events(converse);
        if (fault == Fault.STREAM_EXCEPTION) {
            int firstDelta = 2;
            events = new ArrayList<>(events.subList(0, firstDelta));
            events.add(EventStreamWriter.exception("throttlingException",
                    "{\"message\":\"Too many tokens, please wait before trying again.\"}"));
        } else if (fault == Fault.MODEL_STREAM_ERROR) {
            int firstDelta = 2;
            events = new ArrayList<>(events.subList(0, firstDelta));
            events.add(EventStreamWriter.exception("modelStreamErrorException",
                    "{\"message\":\"The model stream failed.\",\"originalStatusCode\":500}"));
        }
        response.setChunked(true)
                .putHeader("content-type", "application/vnd.amazon.eventstream")
                .putHeader("x-amzn-RequestId", UUID.randomUUID().toString());
        for (int i = 0; i < events.size(); i++) {
            Buffer event = events.get(i);
            if (fault == Fault.BAD_CRC && i == 1) {
                event = event.copy();
                event.setByte(event.length() - 1, (byte) (event.getByte(event.length() - 1) ^ 0xFF));
            }
            if (fault == Fault.CUT_STREAM && i == 2) {
                response.write(event.getBuffer(0, event.length() / 2))
                        .onComplete(written -> response.reset());
                return;
            }
            response.write(event);
        }
        response.end();
    }

    /**
     * Serves InvokeModel for embedding models: Amazon Titan ({@code inputText}, optional {@code dimensions}) and
     * Cohere Embed ({@code texts}, {@code input_type}), each vector {@code [length, index, 0.5]} padded with zeros.
     */
    private static void invoke(HttpServerResponse response, String model, JsonNode body) {
        ObjectNode answer = NODES.objectNode();
        if (model.startsWith("amazon.titan-embed") && body != null && body.path("inputText").isTextual()
                && body.size() <= 3) {
            String text = body.get("inputText").asText();
            answer.set("embedding", vector(text, 0, body.path("dimensions").asInt(4)));
            answer.put("inputTextTokenCount", text.split(" ").length);
        } else if (model.startsWith("cohere.embed") && body != null && body.path("texts").isArray()
                && body.path("input_type").isTextual()) {
            ArrayNode embeddings = answer.put("id", UUID.randomUUID().toString()).putArray("embeddings");
            for (int i = 0; i < body.get("texts").size(); i++) {
                embeddings.add(vector(body.get("texts").get(i).asText(), i, 4));
            }
            answer.put("response_type", "embeddings_floats");
            answer.set("texts", body.get("texts"));
        } else {
            error(response, 400, "ValidationException", "Malformed input request, please reformat your input "
                    + "and try again.");
            return;
        }
        response.putHeader("content-type", "application/json").end(answer.toString());
    }

    private static ArrayNode vector(String text, int index, int dimensions) {
        ArrayNode vector = NODES.arrayNode().add(text.length()).add(index).add(0.5);
        while (vector.size() < dimensions) {
            vector.add(0.0);
        }
        return vector;
    }

    /** Derives the ConverseStream events of a Converse response, splitting text and tool input in pieces. */
    static List<Buffer> events(ObjectNode converse) {
        List<Buffer> events = new ArrayList<>();
        events.add(event("messageStart", NODES.objectNode().put("role", "assistant")));
        int index = 0;
        for (JsonNode block : converse.path("output").path("message").path("content")) {
            if (block.has("text")) {
                for (String piece : halves(block.get("text").asText())) {
                    events.add(delta(index, NODES.objectNode().put("text", piece)));
                }
            } else if (block.has("toolUse")) {
                JsonNode toolUse = block.get("toolUse");
                ObjectNode start = NODES.objectNode().put("contentBlockIndex", index);
                start.putObject("start").putObject("toolUse").put("toolUseId", toolUse.path("toolUseId").asText())
                        .put("name", toolUse.path("name").asText());
                events.add(event("contentBlockStart", start));
                String input = toolUse.path("input").toString();
                for (String piece : "{}".equals(input) ? List.<String>of() : halves(input)) {
                    ObjectNode delta = NODES.objectNode();
                    delta.putObject("toolUse").put("input", piece);
                    events.add(delta(index, delta));
                }
            } else if (block.path("reasoningContent").has("redactedContent")) {
                ObjectNode redacted = NODES.objectNode();
                redacted.putObject("reasoningContent").set("redactedContent",
                        block.path("reasoningContent").get("redactedContent"));
                events.add(delta(index, redacted));
            } else if (block.has("reasoningContent")) {
                JsonNode reasoning = block.path("reasoningContent").path("reasoningText");
                ObjectNode text = NODES.objectNode();
                text.putObject("reasoningContent").put("text", reasoning.path("text").asText());
                events.add(delta(index, text));
                ObjectNode signature = NODES.objectNode();
                signature.putObject("reasoningContent").put("signature", reasoning.path("signature").asText());
                events.add(delta(index, signature));
            }
            events.add(event("contentBlockStop", NODES.objectNode().put("contentBlockIndex", index)));
            index++;
        }
        events.add(event("messageStop", NODES.objectNode().put("stopReason", converse.path("stopReason").asText())));
        ObjectNode metadata = NODES.objectNode();
        metadata.set("usage", converse.path("usage").deepCopy());
        metadata.putObject("metrics").put("latencyMs", 120);
        events.add(event("metadata", metadata));
        return events;
    }

    private static List<String> halves(String text) {
        int middle = text.length() / 2;
        return middle == 0 ? List.of(text) : List.of(text.substring(0, middle), text.substring(middle));
    }

    private static Buffer delta(int index, ObjectNode delta) {
        ObjectNode event = NODES.objectNode().put("contentBlockIndex", index);
        event.set("delta", delta);
        return event("contentBlockDelta", event);
    }

    private static Buffer event(String type, ObjectNode payload) {
        // Bedrock pads each event with a "p" field of variable length so that sizes do not reveal the content.
        payload.put("p", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".substring(0,
                1 + payload.toString().length() % 40));
        return EventStreamWriter.event(type, payload.toString());
    }

    private static ObjectNode defaultReply() {
        ObjectNode reply = NODES.objectNode();
        reply.putObject("output").putObject("message").put("role", "assistant").putArray("content").addObject()
                .put("text", "Hello from Bedrock.");
        reply.put("stopReason", "end_turn");
        reply.putObject("usage").put("inputTokens", 12).put("outputTokens", 5).put("totalTokens", 17);
        reply.putObject("metrics").put("latencyMs", 120);
        return reply;
    }

    /** Returns null when the request is authenticated, or {@code ExceptionName: message}. */
    private String authenticate(HttpServerRequest request, Buffer body) {
        String authorization = request.getHeader("authorization");
        if (authorization == null) {
            return "MissingAuthenticationTokenException: Missing Authentication Token";
        }
        if (authorization.startsWith("Bearer ")) {
            return apiKey != null && apiKey.equals(authorization.substring(7)) ? null
                    : "AccessDeniedException: Invalid API Key format: Must start with pre-defined prefix";
        }
        Matcher matcher = AUTHORIZATION.matcher(authorization);
        if (!matcher.matches()) {
            return "IncompleteSignatureException: Authorization header requires 'Credential', 'Signature' and "
                    + "'SignedHeaders' parameters";
        }
        if (!matcher.group(1).equals(accessKeyId)) {
            return "UnrecognizedClientException: The security token included in the request is invalid.";
        }
        String amzDate = request.getHeader("x-amz-date");
        if (amzDate == null || !amzDate.startsWith(matcher.group(2)) || !matcher.group(3).equals(region)
                || !matcher.group(4).equals("bedrock") || !fresh(amzDate)) {
            return "InvalidSignatureException: Signature expired or credential scope invalid: " + amzDate;
        }
        String expected = expectedSignature(request, body, matcher.group(5), amzDate);
        return expected.equals(matcher.group(6)) ? null : "InvalidSignatureException: The request signature we "
                + "calculated does not match the signature you provided. Check your AWS Secret Access Key and "
                + "signing method. Consult the service documentation for details.";
    }

    private String expectedSignature(HttpServerRequest request, Buffer body, String signedHeaders,
                                     String amzDate) {
        Map<String, String> headers = new TreeMap<>();
        for (String name : signedHeaders.split(";")) {
            headers.put(name, String.join(",", request.headers().getAll(name)));
        }
        String canonical = SigV4Signer.canonicalRequest(request.method().name(),
                SigV4Signer.canonicalUri(request.path()), SigV4Signer.canonicalQuery(request.query()), headers,
                SigV4Signer.sha256Hex(body.getBytes()));
        String date = amzDate.substring(0, 8);
        return SigV4Signer.signature(SigV4Signer.signingKey(secretAccessKey, date, region, "bedrock"),
                SigV4Signer.stringToSign(amzDate, SigV4Signer.scope(date, region, "bedrock"), canonical));
    }

    private static boolean fresh(String amzDate) {
        try {
            Instant signed = Instant.from(AMZ_DATE.parse(amzDate));
            return Duration.between(signed, Instant.now()).abs().compareTo(Duration.ofMinutes(5)) <= 0;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** Returns null for a valid Converse request, or the ValidationException message. */
    static String validate(ObjectNode body) {
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!TOP_LEVEL.contains(name)) {
                return "Malformed input request: extraneous key [" + name + "] is not permitted";
            }
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            return "A conversation must start with a user message. Try again with a conversation that starts "
                    + "with a user message.";
        }
        String invalid = validateInference(body.path("inferenceConfig"));
        if (invalid != null) {
            return invalid;
        }
        boolean toolBlocks = false;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String role = message.path("role").asText();
            if (i == 0 && !role.equals("user")) {
                return "A conversation must start with a user message. Try again with a conversation that starts "
                        + "with a user message.";
            }
            if (i > 0 && role.equals(messages.get(i - 1).path("role").asText())) {
                return "A conversation must alternate between user and assistant roles. Make sure the "
                        + "conversation alternates between user and assistant roles and try again.";
            }
            JsonNode content = message.path("content");
            if (!content.isArray() || content.isEmpty()) {
                return "The content field in the Message object at messages." + i + " is empty. Add a "
                        + "ContentBlock object to the content field and try again.";
            }
            for (int j = 0; j < content.size(); j++) {
                JsonNode block = content.get(j);
                String at = "messages." + i + ".content." + j;
                invalid = validateBlock(block, at);
                if (invalid != null) {
                    return invalid;
                }
                toolBlocks |= block.has("toolUse") || block.has("toolResult");
            }
        }
        if (toolBlocks && !body.has("toolConfig")) {
            return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
        }
        return null;
    }

    private static String validateInference(JsonNode config) {
        for (String field : List.of("temperature", "topP")) {
            JsonNode value = config.get(field);
            if (value != null && (value.asDouble() < 0 || value.asDouble() > 1)) {
                return "1 validation error detected: Value '" + value + "' at 'inferenceConfig." + field
                        + "' failed to satisfy constraint: Member must have value less than or equal to 1";
            }
        }
        JsonNode maxTokens = config.get("maxTokens");
        if (maxTokens != null && maxTokens.asInt() < 1) {
            return "1 validation error detected: Value '" + maxTokens + "' at 'inferenceConfig.maxTokens' failed "
                    + "to satisfy constraint: Member must have value greater than or equal to 1";
        }
        return null;
    }

    private static String validateBlock(JsonNode block, String at) {
        if (!block.isObject() || block.size() != 1) {
            return "The ContentBlock object at " + at + " must set exactly one of its members.";
        }
        if (block.has("text") && block.get("text").asText().isBlank()) {
            return "The text field in the ContentBlock object at " + at + " is blank. Add text to the text field, "
                    + "and try again.";
        }
        if (block.has("image")) {
            JsonNode image = block.get("image");
            if (!IMAGE_FORMATS.contains(image.path("format").asText())) {
                return "1 validation error detected: Value at '" + at + ".image.format' failed to satisfy "
                        + "constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]";
            }
            try {
                Base64.getDecoder().decode(image.path("source").path("bytes").asText());
            } catch (IllegalArgumentException e) {
                return "Invalid base64 in " + at + ".image.source.bytes";
            }
        }
        if (block.has("toolUse") && !block.get("toolUse").path("input").isObject()) {
            return "The value at " + at + ".toolUse.input must be an object.";
        }
        return null;
    }

    private static void error(HttpServerResponse response, int status, String exception, String message) {
        response.setStatusCode(status)
                .putHeader("content-type", "application/json")
                .putHeader("x-amzn-ErrorType", exception + ":http://internal.amazon.com/coral/com.amazon.bedrock/")
                .putHeader("x-amzn-RequestId", UUID.randomUUID().toString())
                .end(NODES.objectNode().put("message", message).toString());
    }

    private static JsonNode parse(Buffer body) {
        try {
            return Json.MAPPER.readTree(body.getBytes());
        } catch (IOException e) {
            return null;
        }
    }

    /** Returns a Converse response body with the given content blocks, stop reason and token counts. */
    public static ObjectNode converseResponse(ArrayNode content, String stopReason, int input, int output) {
        ObjectNode reply = NODES.objectNode();
        reply.putObject("output").putObject("message").put("role", "assistant").set("content", content);
        reply.put("stopReason", stopReason);
        reply.putObject("usage").put("inputTokens", input).put("outputTokens", output)
                .put("totalTokens", input + output);
        reply.putObject("metrics").put("latencyMs", 120);
        return reply;
    }
}
