package io.portico.ai.mock;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.vertx.core.Future;
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
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for Google's generative AI services on 127.0.0.1, in one of two modes.
 *
 * <p>Gemini API mode follows the Gemini API reference (ai.google.dev/api: {@code models.generateContent},
 * {@code models.streamGenerateContent}, {@code models.batchEmbedContents}, and the {@code GenerateContentResponse},
 * {@code UsageMetadata} and error shapes): paths under {@code /v1beta/models/{model}:...}, the key in
 * {@code x-goog-api-key} or the {@code key} query parameter. As the real service does, a missing key gets 403
 * {@code PERMISSION_DENIED} and a wrong key 400 {@code INVALID_ARGUMENT} with reason {@code API_KEY_INVALID}.
 *
 * <p>Vertex AI mode follows the Vertex AI REST reference (cloud.google.com/vertex-ai/docs/reference/rest:
 * {@code projects.locations.publishers.models.generateContent}, {@code streamGenerateContent}, {@code rawPredict},
 * {@code streamRawPredict}, {@code predict}) and Google's OAuth 2.0 server-to-server flow: {@code POST /token}
 * takes a JWT bearer assertion, checks its RS256 signature with the test's public key, its audience, scope and
 * lifetime, and issues access tokens; model calls without a token it issued get 401 {@code UNAUTHENTICATED}.
 * Anthropic models reply in the Anthropic Messages format.
 *
 * <p>Requests are validated as the real API does for the fields Portico sends: unknown request and
 * {@code generationConfig} fields, missing or empty {@code contents}, roles other than {@code user} and
 * {@code model}, empty {@code parts}, a function response turn whose part count differs from the preceding
 * function call turn, and, for {@code gemini-3} models, a function call of the current turn without its
 * {@code thoughtSignature}. Replies are queued by the test; an empty queue answers with a short text.
 */
public final class GeminiMock implements AutoCloseable {

    /** The access tokens this mock issues start with this prefix. */
    public static final String TOKEN_PREFIX = "ya29.mock-";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> REQUEST_FIELDS = Set.of("contents", "systemInstruction", "tools", "toolConfig",
            "generationConfig", "safetySettings", "cachedContent", "labels");
    private static final Set<String> CONFIG_FIELDS = Set.of("maxOutputTokens", "temperature", "topP", "topK",
            "stopSequences", "seed", "presencePenalty", "frequencyPenalty", "responseMimeType", "responseSchema",
            "responseJsonSchema", "thinkingConfig", "candidateCount", "responseLogprobs", "logprobs",
            "responseModalities", "mediaResolution");
    private static final Pattern GEMINI_PATH = Pattern.compile("/v1beta/models/([^/:]+):(\\w+)");
    private static final AtomicInteger RESPONSE_NUMBERS = new AtomicInteger();
    private static final Pattern VERTEX_PATH = Pattern.compile(
            "/v1/projects/([^/]+)/locations/([^/]+)/publishers/(google|anthropic)/models/([^/:]+):(\\w+)");

    private final Vertx vertx;
    private final boolean vertexMode;
    private final String apiKey;
    private final PublicKey signingKey;
    private final Deque<Reply> replies = new ConcurrentLinkedDeque<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final Set<String> issuedTokens = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicInteger tokenExchanges = new AtomicInteger();
    private volatile int tokenLifetimeSeconds = 3599;
    private volatile long tokenDelayMillis;
    private volatile int tokenPaddingBytes;
    private volatile boolean tokenErrorsEchoAssertion;
    private volatile long tokenTrickleMillis;
    private HttpServer server;

    /**
     * One HTTP exchange the mock received.
     *
     * @param path the path with its query
     * @param headers the request headers
     * @param body the body as text
     */
    public record Recorded(String path, MultiMap headers, String body) {

        /** Parses the body as JSON. */
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("the recorded body is not JSON: " + body, e);
            }
        }
    }

    /**
     * A queued reply.
     *
     * @param status the HTTP status; 200 for a response
     * @param body a {@code GenerateContentResponse} (streamed as events when the call streams), an Anthropic
     *     message for Anthropic models, or an error body
     * @param headers extra response headers, such as Retry-After
     * @param firstByteDelayMillis wait before the status line is sent
     * @param cutAfterEvents close the connection after this many stream events; negative for never
     * @param streamError an error object sent as the last stream event, or null
     */
    public record Reply(int status, JsonNode body, Map<String, String> headers, long firstByteDelayMillis,
                        int cutAfterEvents, JsonNode streamError) {

        /**
         * Builds a response whose candidate has {@code parts}, {@code finishReason} and {@code usageMetadata}. Each
         * response gets a response id of its own, as Gemini gives one to every response.
         */
        public static Reply response(ArrayNode parts, String finishReason, ObjectNode usageMetadata) {
            ObjectNode body = NODES.objectNode();
            ObjectNode candidate = body.putArray("candidates").addObject();
            candidate.putObject("content").put("role", "model").set("parts", parts);
            candidate.put("finishReason", finishReason).put("index", 0);
            body.set("usageMetadata", usageMetadata);
            body.put("modelVersion", "gemini-2.5-flash")
                    .put("responseId", "resp-mock-" + RESPONSE_NUMBERS.incrementAndGet());
            return of(body);
        }

        /** Builds a text response with usage 12 prompt, 5 output. */
        public static Reply text(String text) {
            ArrayNode parts = NODES.arrayNode();
            parts.addObject().put("text", text);
            return response(parts, "STOP", usage(12, 5, 0, 0));
        }

        /** Any body, returned with 200. */
        public static Reply of(JsonNode body) {
            return new Reply(200, body, Map.of(), 0, -1, null);
        }

        /** Builds a Google error with {@code status}, its status name and {@code message}. */
        public static Reply error(int status, String statusName, String message) {
            ObjectNode body = NODES.objectNode();
            body.putObject("error").put("code", status).put("message", message).put("status", statusName);
            return new Reply(status, body, Map.of(), 0, -1, null);
        }

        public Reply withHeader(String name, String value) {
            Map<String, String> merged = new java.util.HashMap<>(headers);
            merged.put(name, value);
            return new Reply(status, body, Map.copyOf(merged), firstByteDelayMillis, cutAfterEvents, streamError);
        }

        public Reply delayed(long millis) {
            return new Reply(status, body, headers, millis, cutAfterEvents, streamError);
        }

        public Reply cutAfter(int events) {
            return new Reply(status, body, headers, firstByteDelayMillis, events, streamError);
        }

        /** Streams the response's events, then an error event in place of the end. */
        public Reply failingWith(int code, String statusName, String message) {
            ObjectNode error = NODES.objectNode();
            error.putObject("error").put("code", code).put("message", message).put("status", statusName);
            return new Reply(status, body, headers, firstByteDelayMillis, cutAfterEvents, error);
        }
    }

    private GeminiMock(Vertx vertx, boolean vertexMode, String apiKey, PublicKey signingKey) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.vertexMode = vertexMode;
        this.apiKey = apiKey;
        this.signingKey = signingKey;
    }

    /** Starts a Gemini API mock that accepts {@code apiKey}. */
    public static Future<GeminiMock> geminiApi(Vertx vertx, String apiKey) {
        return new GeminiMock(vertx, false, requireNonNull(apiKey, "apiKey"), null).listen();
    }

    /** Starts a Vertex AI mock whose token endpoint accepts assertions signed by the key pair of {@code key}. */
    public static Future<GeminiMock> vertex(Vertx vertx, PublicKey key) {
        return new GeminiMock(vertx, true, null, requireNonNull(key, "key")).listen();
    }

    /** Builds usage metadata; zero counts are left out, as Gemini leaves them out. */
    public static ObjectNode usage(int prompt, int candidates, int cached, int thoughts) {
        ObjectNode usage = NODES.objectNode().put("promptTokenCount", prompt);
        if (candidates > 0) {
            usage.put("candidatesTokenCount", candidates);
        }
        if (cached > 0) {
            usage.put("cachedContentTokenCount", cached);
        }
        if (thoughts > 0) {
            usage.put("thoughtsTokenCount", thoughts);
        }
        return usage.put("totalTokenCount", prompt + candidates + thoughts);
    }

    private Future<GeminiMock> listen() {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0));
        server.requestHandler(request -> request.body().onSuccess(body -> handle(request, body.toString())));
        return server.listen().map(this);
    }

    public int port() {
        return server.actualPort();
    }

    /** Returns the base URL of the model API: {@code .../v1beta} or {@code .../v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + (vertexMode ? "/v1" : "/v1beta");
    }

    /** Returns the URL of the OAuth token endpoint (Vertex AI mode). */
    public String tokenUrl() {
        return "http://127.0.0.1:" + port() + "/token";
    }

    public GeminiMock enqueue(Reply reply) {
        replies.add(reply);
        return this;
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    /** Returns the number of token exchanges that issued a token. */
    public int tokenExchanges() {
        return tokenExchanges.get();
    }

    /** Sets the {@code expires_in} of the tokens issued from now on. */
    public void tokenLifetimeSeconds(int seconds) {
        tokenLifetimeSeconds = seconds;
    }

    /** Adds a field of {@code bytes} characters to every token grant, to make it as large as a test needs. */
    public void tokenPaddingBytes(int bytes) {
        tokenPaddingBytes = bytes;
    }

    /** Delays every token response, so that concurrent requests overlap one exchange. */
    public void tokenDelayMillis(long millis) {
        tokenDelayMillis = millis;
    }

    /**
     * Makes the token endpoint reject every assertion with 400 {@code invalid_grant} and an
     * {@code error_description} that contains the assertion it received, as an endpoint or proxy that echoes its
     * input does.
     */
    public void echoAssertionInTokenErrors() {
        tokenErrorsEchoAssertion = true;
    }

    /**
     * Makes the token endpoint send its response head and then one space every {@code millis}, without ever ending
     * the body, until the client closes the connection.
     */
    public void tokenTrickleMillis(long millis) {
        tokenTrickleMillis = millis;
    }

    private void handle(HttpServerRequest request, String body) {
        String path = request.path();
        requests.add(new Recorded(request.uri(), MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), body));
        if (vertexMode && "/token".equals(path)) {
            token(request, body);
            return;
        }
        Matcher gemini = GEMINI_PATH.matcher(path);
        Matcher vertex = VERTEX_PATH.matcher(path);
        if (!vertexMode && gemini.matches()) {
            if (authorizedByKey(request)) {
                dispatch(request, "google", gemini.group(1), gemini.group(2), body);
            }
        } else if (vertexMode && vertex.matches()) {
            if (authorizedByToken(request)) {
                dispatch(request, vertex.group(3), vertex.group(4), vertex.group(5), body);
            }
        } else {
            googleError(request.response(), 404, "NOT_FOUND", "Requested entity was not found.");
        }
    }

    private boolean authorizedByKey(HttpServerRequest request) {
        String key = request.getHeader("x-goog-api-key");
        if (key == null) {
            key = request.getParam("key");
        }
        if (key == null) {
            googleError(request.response(), 403, "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established identity). Please use "
                            + "API Key or other form of API consumer identity to call this API.");
            return false;
        }
        if (!apiKey.equals(key)) {
            ObjectNode body = NODES.objectNode();
            ObjectNode error = body.putObject("error").put("code", 400)
                    .put("message", "API key not valid. Please pass a valid API key.")
                    .put("status", "INVALID_ARGUMENT");
            error.putArray("details").addObject().put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                    .put("reason", "API_KEY_INVALID").put("domain", "googleapis.com");
            send(request.response(), 400, body);
            return false;
        }
        return true;
    }

    private boolean authorizedByToken(HttpServerRequest request) {
        String authorization = request.getHeader("authorization");
        String token = authorization != null && authorization.startsWith("Bearer ")
                ? authorization.substring("Bearer ".length()) : null;
        if (token == null || !issuedTokens.contains(token)) {
            googleError(request.response(), 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. "
                    + "Expected OAuth 2 access token, login cookie or other valid authentication credential.");
            return false;
        }
        return true;
    }

    private void dispatch(HttpServerRequest request, String publisher, String model, String method, String body) {
        JsonNode json = parse(body);
        if (json == null || !json.isObject()) {
            googleError(request.response(), 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
            return;
        }
        switch (method) {
            case "generateContent", "streamGenerateContent" -> {
                String invalid = "google".equals(publisher) ? validateGenerate(json, model) : "only Gemini models";
                if (invalid != null) {
                    googleError(request.response(), 400, "INVALID_ARGUMENT", invalid);
                    return;
                }
                boolean sse = "sse".equals(request.getParam("alt"));
                reply(request, "streamGenerateContent".equals(method), sse, () -> Reply.text("Hello from Gemini."));
            }
            case "rawPredict", "streamRawPredict" -> {
                String invalid = validateAnthropic(json);
                if (invalid != null) {
                    send(request.response(), 400, anthropicError(invalid));
                    return;
                }
                reply(request, "streamRawPredict".equals(method), true, () -> Reply.of(anthropicMessage(model)));
            }
            case "batchEmbedContents" -> send(request.response(), 200, batchEmbeddings(json));
            case "predict" -> send(request.response(), 200, predictions(json));
            default -> googleError(request.response(), 404, "NOT_FOUND", "Method not found: " + method);
        }
    }

    private void reply(HttpServerRequest request, boolean stream, boolean sse,
                       java.util.function.Supplier<Reply> fallback) {
        Reply polled = replies.poll();
        Reply reply = polled != null ? polled : fallback.get();
        Runnable respond = () -> {
            HttpServerResponse response = request.response();
            reply.headers().forEach(response::putHeader);
            if (reply.status() != 200 || !stream) {
                send(response, reply.status(), reply.body());
            } else if (!sse) {
                send(response, 200, NODES.arrayNode().add(reply.body()));
            } else if (reply.body().has("type")) {
                streamAnthropic(response, reply.body());
            } else {
                stream(response, reply);
            }
        };
        if (reply.firstByteDelayMillis() > 0) {
            vertx.setTimer(reply.firstByteDelayMillis(), id -> respond.run());
        } else {
            respond.run();
        }
    }

    /** Streams a response as Gemini does: one event per part, text split in two, usage and finish at the end. */
    private void stream(HttpServerResponse response, Reply reply) {
        response.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
        JsonNode body = reply.body();
        List<ObjectNode> events = new ArrayList<>();
        JsonNode candidate = body.path("candidates").path(0);
        for (JsonNode part : candidate.path("content").path("parts")) {
            String text = part.path("text").asText("");
            if (part.has("text") && text.length() > 1 && !part.has("thoughtSignature")) {
                int half = text.length() / 2;
                events.add(partEvent(body, ((ObjectNode) part.deepCopy()).put("text", text.substring(0, half))));
                events.add(partEvent(body, ((ObjectNode) part.deepCopy()).put("text", text.substring(half))));
            } else {
                events.add(partEvent(body, part.deepCopy()));
            }
        }
        ObjectNode last = events.isEmpty() ? body.deepCopy() : events.get(events.size() - 1);
        if (candidate.has("finishReason") && !events.isEmpty()) {
            ((ObjectNode) last.path("candidates").path(0)).put("finishReason", candidate.get("finishReason").asText());
        }
        if (events.isEmpty()) {
            events.add(last);
        }
        if (body.has("usageMetadata")) {
            last.set("usageMetadata", body.get("usageMetadata").deepCopy());
        }
        for (int i = 0; i < events.size(); i++) {
            if (i == reply.cutAfterEvents()) {
                // Closes the connection a moment after the events, as a network cut during the stream would.
                vertx.setTimer(50, id -> response.reset());
                return;
            }
            response.write("data: " + events.get(i) + "\r\n\r\n");
        }
        if (reply.streamError() != null) {
            response.write("data: " + reply.streamError() + "\r\n\r\n");
        }
        response.end();
    }

    /** Streams an Anthropic message as the Messages API's server-sent events. */
    private static void streamAnthropic(HttpServerResponse response, JsonNode message) {
        response.setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
        ObjectNode start = NODES.objectNode().put("type", "message_start");
        ObjectNode opened = start.putObject("message").put("id", message.path("id").asText())
                .put("type", "message").put("role", "assistant").put("model", message.path("model").asText());
        opened.putArray("content");
        opened.putNull("stop_reason");
        opened.putObject("usage").put("input_tokens", message.path("usage").path("input_tokens").asInt())
                .put("output_tokens", 1);
        anthropicEvent(response, start);
        int index = 0;
        for (JsonNode block : message.path("content")) {
            ObjectNode blockStart = NODES.objectNode().put("type", "content_block_start").put("index", index);
            blockStart.putObject("content_block").put("type", "text").put("text", "");
            anthropicEvent(response, blockStart);
            ObjectNode delta = NODES.objectNode().put("type", "content_block_delta").put("index", index);
            delta.putObject("delta").put("type", "text_delta").put("text", block.path("text").asText());
            anthropicEvent(response, delta);
            anthropicEvent(response, NODES.objectNode().put("type", "content_block_stop").put("index", index));
            index++;
        }
        ObjectNode messageDelta = NODES.objectNode().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", message.path("stop_reason").asText()).putNull(
                "stop_sequence");
        messageDelta.putObject("usage").put("output_tokens", message.path("usage").path("output_tokens").asInt());
        anthropicEvent(response, messageDelta);
        anthropicEvent(response, NODES.objectNode().put("type", "message_stop"));
        response.end();
    }

    private static void anthropicEvent(HttpServerResponse response, ObjectNode event) {
        response.write("event: " + event.path("type").asText() + "\n" + "data: " + event + "\n\n");
    }

    private static ObjectNode partEvent(JsonNode body, JsonNode part) {
        ObjectNode event = NODES.objectNode();
        ObjectNode candidate = event.putArray("candidates").addObject();
        candidate.putObject("content").put("role", "model").putArray("parts").add(part);
        candidate.put("index", 0);
        ObjectNode usage = event.putObject("usageMetadata");
        usage.put("promptTokenCount", body.path("usageMetadata").path("promptTokenCount").asInt());
        usage.put("totalTokenCount", body.path("usageMetadata").path("promptTokenCount").asInt());
        event.put("modelVersion", body.path("modelVersion").asText("gemini"));
        event.put("responseId", body.path("responseId").asText("resp"));
        return event;
    }

    /** Returns why a generateContent body is invalid, in the real API's words, or null when it is valid. */
    private static String validateGenerate(JsonNode json, String model) {
        for (var fields = json.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!REQUEST_FIELDS.contains(field)) {
                return "Invalid JSON payload received. Unknown name \"" + field + "\": Cannot find field.";
            }
        }
        for (var fields = json.path("generationConfig").fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!CONFIG_FIELDS.contains(field)) {
                return "Invalid JSON payload received. Unknown name \"" + field + "\" at 'generation_config': "
                        + "Cannot find field.";
            }
        }
        JsonNode contents = json.get("contents");
        if (contents == null || !contents.isArray() || contents.isEmpty()) {
            return "* GenerateContentRequest.contents: contents is not specified";
        }
        int previousCalls = 0;
        for (JsonNode content : contents) {
            String role = content.path("role").asText();
            if (!"user".equals(role) && !"model".equals(role)) {
                return "Please use a valid role: user, model.";
            }
            if (!content.path("parts").isArray() || content.path("parts").isEmpty()) {
                return "* GenerateContentRequest.contents.parts: contents.parts must not be empty.";
            }
            int responses = count(content, "functionResponse");
            if (responses > 0 && responses != previousCalls) {
                return "Please ensure that the number of function response parts is equal to the number of "
                        + "function call parts of the function call turn.";
            }
            previousCalls = count(content, "functionCall");
        }
        return model.startsWith("gemini-3") ? missingSignature(contents) : null;
    }

    private static int count(JsonNode content, String partField) {
        int count = 0;
        for (JsonNode part : content.path("parts")) {
            if (part.has(partField)) {
                count++;
            }
        }
        return count;
    }

    /** Checks the current turn, the contents after the last user text, as Gemini 3 validates signatures. */
    private static String missingSignature(JsonNode contents) {
        int start = 0;
        for (int i = 0; i < contents.size(); i++) {
            JsonNode content = contents.get(i);
            if ("user".equals(content.path("role").asText()) && count(content, "text") > 0) {
                start = i;
            }
        }
        for (int i = start; i < contents.size(); i++) {
            for (JsonNode part : contents.get(i).path("parts")) {
                if (part.has("functionCall")) {
                    if (!part.has("thoughtSignature")) {
                        return "Function call is missing a thought_signature in functionCall parts. This is required "
                                + "for tools to work correctly.";
                    }
                    break;
                }
            }
        }
        return null;
    }

    private static String validateAnthropic(JsonNode json) {
        if (!"vertex-2023-10-16".equals(json.path("anthropic_version").asText())) {
            return "anthropic_version: vertex-2023-10-16 is required";
        }
        if (json.has("model")) {
            return "model: Extra inputs are not permitted";
        }
        if (!json.path("max_tokens").isInt()) {
            return "max_tokens: Field required";
        }
        if (!json.path("messages").isArray() || json.path("messages").isEmpty()) {
            return "messages: Field required";
        }
        return null;
    }

    private static ObjectNode anthropicError(String message) {
        ObjectNode body = NODES.objectNode().put("type", "error");
        body.putObject("error").put("type", "invalid_request_error").put("message", message);
        return body;
    }

    private static ObjectNode anthropicMessage(String model) {
        ObjectNode message = NODES.objectNode().put("id", "msg_vrtx_01").put("type", "message")
                .put("role", "assistant").put("model", model);
        message.putArray("content").addObject().put("type", "text").put("text", "Hello from Claude.");
        message.put("stop_reason", "end_turn").putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", 10).put("output_tokens", 4);
        return message;
    }

    private static ObjectNode batchEmbeddings(JsonNode json) {
        ObjectNode body = NODES.objectNode();
        ArrayNode embeddings = body.putArray("embeddings");
        for (JsonNode request : json.path("requests")) {
            embeddings.addObject().set("values", vector(request.path("content").path("parts").path(0)
                    .path("text").asText()));
        }
        return body;
    }

    private static ObjectNode predictions(JsonNode json) {
        ObjectNode body = NODES.objectNode();
        ArrayNode predictions = body.putArray("predictions");
        for (JsonNode instance : json.path("instances")) {
            String text = instance.path("content").asText();
            ObjectNode embeddings = predictions.addObject().putObject("embeddings");
            embeddings.set("values", vector(text));
            embeddings.putObject("statistics").put("truncated", false).put("token_count", text.split(" ").length);
        }
        return body;
    }

    private static ArrayNode vector(String text) {
        return NODES.arrayNode().add(text.length() / 10.0).add(0.5).add(-0.25);
    }

    private void token(HttpServerRequest request, String body) {
        Map<String, String> form = form(body);
        String grantType = form.get("grant_type");
        HttpServerResponse response = request.response();
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(grantType)) {
            send(response, 400, NODES.objectNode().put("error", "unsupported_grant_type")
                    .put("error_description", "Invalid grant_type: " + grantType));
            return;
        }
        if (tokenTrickleMillis > 0) {
            trickle(response, tokenTrickleMillis);
            return;
        }
        if (tokenErrorsEchoAssertion) {
            send(response, 400, NODES.objectNode().put("error", "invalid_grant")
                    .put("error_description", "Invalid JWT Signature. assertion=" + form.get("assertion")));
            return;
        }
        String invalid = validateAssertion(form.get("assertion"));
        if (invalid != null) {
            send(response, 400, NODES.objectNode().put("error", "invalid_grant").put("error_description", invalid));
            return;
        }
        String token = TOKEN_PREFIX + tokenExchanges.incrementAndGet();
        issuedTokens.add(token);
        ObjectNode granted = NODES.objectNode().put("access_token", token).put("expires_in", tokenLifetimeSeconds)
                .put("token_type", "Bearer");
        if (tokenPaddingBytes > 0) {
            granted.put("padding", "x".repeat(tokenPaddingBytes));
        }
        if (tokenDelayMillis > 0) {
            vertx.setTimer(tokenDelayMillis, id -> send(response, 200, granted));
        } else {
            send(response, 200, granted);
        }
    }

    private void trickle(HttpServerResponse response, long millis) {
        response.setStatusCode(200).putHeader("content-type", "application/json").setChunked(true);
        response.write("{");
        long periodic = vertx.setPeriodic(millis, id -> {
            if (!response.closed()) {
                response.write(" ");
            }
        });
        response.closeHandler(closed -> vertx.cancelTimer(periodic));
    }

    private String validateAssertion(String assertion) {
        String[] pieces = assertion == null ? new String[0] : assertion.split("\\.");
        if (pieces.length != 3) {
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe";
        }
        try {
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(signingKey);
            verifier.update((pieces[0] + "." + pieces[1]).getBytes(StandardCharsets.US_ASCII));
            if (!verifier.verify(Base64.getUrlDecoder().decode(pieces[2]))) {
                return "Invalid JWT Signature.";
            }
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            return "Invalid JWT Signature.";
        }
        JsonNode header = parse(new String(Base64.getUrlDecoder().decode(pieces[0]), StandardCharsets.UTF_8));
        JsonNode claims = parse(new String(Base64.getUrlDecoder().decode(pieces[1]), StandardCharsets.UTF_8));
        if (header == null || !"RS256".equals(header.path("alg").asText()) || claims == null) {
            return "Invalid JWT: unsupported algorithm";
        }
        long now = Instant.now().getEpochSecond();
        long iat = claims.path("iat").asLong();
        long exp = claims.path("exp").asLong();
        if (exp - iat > 3600 || exp < now || iat > now + 60) {
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                    + "Check your iat and exp values in the JWT claim.";
        }
        if (!tokenUrl().equals(claims.path("aud").asText())) {
            return "Invalid JWT: Failed audience check.";
        }
        if (!claims.path("scope").asText().contains("https://www.googleapis.com/auth/cloud-platform")
                || claims.path("iss").asText().isEmpty()) {
            return "Invalid OAuth scope or ID token audience provided.";
        }
        return null;
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new java.util.HashMap<>();
        for (String pair : body.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                form.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static void googleError(HttpServerResponse response, int status, String statusName, String message) {
        ObjectNode body = NODES.objectNode();
        body.putObject("error").put("code", status).put("message", message).put("status", statusName);
        send(response, status, body);
    }

    private static void send(HttpServerResponse response, int status, JsonNode body) {
        response.setStatusCode(status).putHeader("content-type", "application/json; charset=UTF-8")
                .end(Buffer.buffer(body.toString()));
    }

    private static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        server.close().await();
    }
}
