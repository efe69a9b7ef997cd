package io.portico.ai.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.aws.AwsCredentials;
import io.portico.ai.provider.aws.SigV4Signer;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.EventStreamParser;
import io.portico.config.Errors;
import io.portico.config.ProviderSpec;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.time.Clock;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Amazon Bedrock's Converse API: {@code POST /model/{modelId}/converse} and {@code /converse-stream}, the model id
 * percent-encoded as one path segment (so {@code v1:0} is sent as {@code v1%3A0} and an ARN's slashes as
 * {@code %2F}). Requests are translated by {@link BedrockRequests}; responses and AWS event streams back by this
 * class and {@link BedrockStreamTranslator}. Embeddings go to {@code POST /model/{modelId}/invoke}, see
 * {@link BedrockEmbeddings}.
 *
 * <p>Authentication: with {@code accessKeyId} and {@code secretAccessKey} (and {@code sessionToken} for temporary
 * credentials) each call is signed with Signature Version 4 for service {@code bedrock} in the provider's region;
 * otherwise the pool's key is sent as {@code Authorization: Bearer}, which Bedrock accepts as an API key. The base
 * URL is {@code https://bedrock-runtime.{region}.amazonaws.com} unless {@code baseUrl} is configured.
 *
 * <p>Usage: Converse's {@code inputTokens} exclude prompt cache reads and writes, so Portico's input count is
 * {@code inputTokens + cacheReadInputTokens + cacheWriteInputTokens}. Bedrock reports no reasoning token count.
 */
public final class BedrockAdapter implements ProviderAdapter {

    /** The public endpoint, with the provider's region in place of {@code {region}}. */
    public static final String DEFAULT_BASE_URL = "https://bedrock-runtime.{region}.amazonaws.com";
    /** The service name in SigV4 credential scopes. */
    public static final String SIGNING_SERVICE = "bedrock";
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Clock clock;

    public BedrockAdapter() {
        this(Clock.systemUTC());
    }

    /** Creates an adapter that signs requests with the time of {@code clock}. */
    public BedrockAdapter(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
    }

    /** Records the fields a {@code bedrock} provider lacks: a region, and access keys or an API key. */
    public static void validate(ProviderSpec spec, Errors errors) {
        errors.required(spec.region(), "region");
        if (spec.region() != null && !spec.region().isBlank()) {
            errors.check(REGION.matcher(spec.region()).matches(), "region",
                    "must be an AWS region such as us-east-1");
        }
        boolean accessKey = spec.accessKeyId() != null;
        boolean secret = spec.secretAccessKey() != null;
        if (accessKey != secret) {
            errors.add(accessKey ? "secretAccessKey" : "accessKeyId",
                    "is required with " + (accessKey ? "accessKeyId" : "secretAccessKey"));
        }
        if (spec.sessionToken() != null && !accessKey) {
            errors.add("sessionToken", "requires accessKeyId and secretAccessKey");
        }
        if (!accessKey && !secret && spec.keys().isEmpty()) {
            errors.add("accessKeyId", "is required: set accessKeyId and secretAccessKey, or a Bedrock API key "
                    + "in keys");
        }
    }

    @Override
    public Framing framing() {
        return Framing.AWS_EVENT_STREAM;
    }

    /** Returns false: Converse takes only inline image bytes or S3 locations, so the gateway fetches image URLs. */
    @Override
    public boolean acceptsImageUrl(String url) {
        return false;
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        ObjectNode body = BedrockRequests.converse(request.body(), target);
        return call(target, request.stream() ? "converse-stream" : "converse", body);
    }

    @Override
    public boolean supportsEmbeddings() {
        return true;
    }

    /** Builds an InvokeModel call for Amazon Titan or Cohere Embed models; see {@link BedrockEmbeddings}. */
    @Override
    public ProviderCall embeddings(ObjectNode request, CallTarget target) {
        return call(target, "invoke", BedrockEmbeddings.request(request, target.model()));
    }

    @Override
    public ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        return BedrockEmbeddings.response(body, request, target.model());
    }

    /** Builds a signed or API-key authenticated POST of {@code body} to {@code operation} of the target's model. */
    ProviderCall call(CallTarget target, String operation, ObjectNode body) {
        Wire.rejectDotSegment(target.model(), "model id");
        String path = "/model/" + SigV4Signer.uriEncode(target.model(), true) + "/" + operation;
        Buffer bytes = Wire.json(body);
        // NOTE: converse-stream is sent Accept: application/json too; only the mock checks that Bedrock allows it.
        ProviderCall call = ProviderCall.postJson(Wire.join(baseUrl(target), path), bytes);
        target.provider().headers().forEach(call.headers()::set);
        ProviderSpec spec = target.provider();
        if (spec.accessKeyId() != null && spec.secretAccessKey() != null) {
            AwsCredentials credentials = new AwsCredentials(spec.accessKeyId(), spec.secretAccessKey(),
                    spec.sessionToken());
            new SigV4Signer(SIGNING_SERVICE, spec.region(), credentials)
                    .sign("POST", URI.create(call.url()), call.headers(), bytes.getBytes(), clock.instant());
        } else if (target.key() != null) {
            call.headers().set("authorization", "Bearer " + target.key());
        }
        return call;
    }

    /** Returns the configured base URL, or the regional public endpoint when none is configured. */
    static String baseUrl(CallTarget target) {
        if (target.provider().baseUrl() != null) {
            return target.baseUrl();
        }
        return DEFAULT_BASE_URL.replace("{region}", target.provider().region());
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        String structured = BedrockRequests.structuredOutputTool(request.body());
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        ArrayNode thinkingBlocks = NODES.arrayNode();
        ArrayNode toolCalls = NODES.arrayNode();
        for (JsonNode block : body.path("output").path("message").path("content")) {
            if (block.has("text")) {
                text.append(block.get("text").asText());
            } else if (block.has("toolUse")) {
                addToolUse(block.get("toolUse"), structured, text, toolCalls);
            } else if (block.has("reasoningContent")) {
                addReasoning(block.get("reasoningContent"), reasoning, thinkingBlocks);
            }
        }

        ObjectNode message = NODES.objectNode().put("role", "assistant");
        if (text.length() > 0 || toolCalls.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (reasoning.length() > 0) {
            message.put("reasoning_content", reasoning.toString());
        }
        if (!thinkingBlocks.isEmpty()) {
            message.set("thinking_blocks", thinkingBlocks);
        }
        if (!toolCalls.isEmpty()) {
            message.set("tool_calls", toolCalls);
        }
        String finish = finishReason(Wire.text(body, "stopReason"), structured, toolCalls.size());
        return completion(message, finish, usage(body.get("usage")), target);
    }

    /** Adds a {@code toolUse} block as a tool call, or as text when it is the structured output tool. */
    private static void addToolUse(JsonNode toolUse, String structured, StringBuilder text, ArrayNode toolCalls) {
        String input = toolUse.get("input") instanceof ObjectNode object ? Wire.json(object).toString() : "{}";
        if (toolUse.path("name").asText().equals(structured)) {
            text.append(input);
            return;
        }
        ObjectNode call = toolCalls.addObject()
                .put("id", toolUse.path("toolUseId").asText())
                .put("type", "function");
        call.putObject("function").put("name", toolUse.path("name").asText()).put("arguments", input);
    }

    private static void addReasoning(JsonNode content, StringBuilder reasoning, ArrayNode thinkingBlocks) {
        JsonNode reasoningText = content.get("reasoningText");
        if (reasoningText != null) {
            String thinking = reasoningText.path("text").asText();
            reasoning.append(thinking);
            ObjectNode block = thinkingBlocks.addObject().put("type", "thinking").put("thinking", thinking);
            if (reasoningText.hasNonNull("signature")) {
                block.put("signature", reasoningText.get("signature").asText());
            }
        } else if (content.hasNonNull("redactedContent")) {
            thinkingBlocks.addObject().put("type", "redacted_thinking")
                    .put("data", content.get("redactedContent").asText());
        }
    }

    private static ObjectNode completion(ObjectNode message, String finishReason, Usage usage, CallTarget target) {
        ObjectNode response = NODES.objectNode()
                .put("id", Wire.completionId())
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", target.model());
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", finishReason);
        response.set("usage", OpenAiUsage.write(usage));
        return response;
    }

    /** Maps a stop reason, reporting a forced structured output tool's {@code tool_use} stop as {@code stop}. */
    static String finishReason(String stopReason, String structuredTool, int toolCalls) {
        if (structuredTool != null && "tool_use".equals(stopReason) && toolCalls == 0) {
            return "stop";
        }
        return FinishReasons.fromBedrock(stopReason);
    }

    @Override
    public Usage chatUsage(JsonNode body, CallTarget target) {
        return usage(body.get("usage"));
    }

    /** Reads Converse {@code usage} into Portico's counts. */
    static Usage usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Usage.NONE;
        }
        long cacheRead = Wire.number(usage, "cacheReadInputTokens");
        long cacheWrite = Wire.number(usage, "cacheWriteInputTokens");
        long input = Wire.number(usage, "inputTokens") + cacheRead + cacheWrite;
        return new Usage(input, Wire.number(usage, "outputTokens"), cacheRead, cacheWrite, 0, false);
    }

    @Override
    public StreamTranslator chatStream(ChatRequest request, CallTarget target) {
        return new BedrockStreamTranslator(target.model(), BedrockRequests.structuredOutputTool(request.body()));
    }

    /**
     * Reads a Bedrock error: the message from {@code message} (or {@code Message}) in the JSON body, the exception
     * name from the {@code x-amzn-ErrorType} header (or the body's {@code __type}) as the error code.
     */
    @Override
    public AiError error(int status, MultiMap headers, Buffer body) {
        JsonNode json = body == null || body.length() == 0 ? null : Wire.parse(body);
        String message = Wire.text(json, "message");
        if (message == null) {
            message = Wire.text(json, "Message");
        }
        if (message == null) {
            message = body == null || body.length() == 0 ? "no error details"
                    : body.toString().substring(0, Math.min(body.length(), 500));
        }
        String errorType = headers == null ? null : headers.get("x-amzn-errortype");
        String code = exceptionName(errorType != null ? errorType : Wire.text(json, "__type"));
        return new AiError(status, AiError.typeFor(status), code, "provider: " + message,
                Wire.retryAfterMillis(headers));
    }

    /**
     * Reads an exception message of a stream, whose {@code :exception-type} header names the exception. A
     * {@code modelStreamErrorException}, which Bedrock documents with status 424 as worth a retry, is a
     * failure of the model while it streamed, not of the request, so it is reported as a 502 like the stream's
     * other provider failures.
     */
    static AiError streamError(StreamFrame frame) {
        String name = frame.headers().get(":exception-type");
        String message;
        if (name == null) {
            // A protocol error message carries its code and message in headers instead of a payload.
            name = frame.headers().get(":error-code");
            message = frame.headers().get(":error-message");
        } else {
            JsonNode json = Wire.parse(frame.data());
            message = Wire.text(json, "message") != null ? Wire.text(json, "message") : Wire.text(json, "Message");
        }
        String code = exceptionName(name);
        int status = "ModelStreamErrorException".equals(code) ? 502 : statusOf(code);
        String text = message == null ? code == null ? "the stream failed" : code : message;
        return new AiError(status, AiError.typeFor(status), code, "provider: " + text, -1);
    }

    /**
     * Returns the HTTP status that Bedrock documents for an exception, whatever the case of its first letter:
     * stream events name them {@code throttlingException}, responses {@code ThrottlingException}. A stream that
     * breaks the event stream framing ({@link EventStreamParser#MALFORMED_STREAM}) is a 502.
     */
    static int statusOf(String exception) {
        if (exception == null) {
            return 500;
        }
        return switch (exception.toLowerCase(Locale.ROOT)) {
            case "validationexception" -> 400;
            case "accessdeniedexception" -> 403;
            case "resourcenotfoundexception" -> 404;
            case "modeltimeoutexception" -> 408;
            case "modelerrorexception", "modelstreamerrorexception" -> 424;
            case "throttlingexception", "modelnotreadyexception" -> 429;
            case "serviceunavailableexception" -> 503;
            case "malformedeventstream" -> 502;
            default -> 500;
        };
    }

    /** Strips the namespace and URL that AWS adds around an exception name, keeping the name with a capital. */
    private static String exceptionName(String type) {
        if (type == null || type.isBlank()) {
            return null;
        }
        String name = type;
        int colon = name.indexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        int hash = name.lastIndexOf('#');
        if (hash >= 0) {
            name = name.substring(hash + 1);
        }
        return name.isEmpty() ? null : Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
