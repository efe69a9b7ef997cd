package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Protocol;
import io.portico.cache.CacheControl;
import io.portico.cache.ChatCacheSettings;
import io.portico.pipeline.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exact-match cache of chat completions on one AI request, when the route's {@code cache} policy enables it.
 *
 * <p>The key is the SHA-256 of the request body as the client sent it, without the fields that only shape the
 * delivery ({@code stream}, {@code stream_options}), with object members sorted by name so their order does not
 * matter. The model, the messages and every other parameter are part of it, and the client's API key is not. The
 * key starts with the route name, the client protocol, and the consumer when the scope is per consumer:
 * {@code chat-route chat openai consumer=alice 3f2a...}; anonymous requests share the consumer {@code -}.
 *
 * <p>An entry is one complete response: the provider's Anthropic message for a native call, else the OpenAI
 * completion the client's response was written from. It records when it was stored and when its time to live ends,
 * which a request's {@code max-age} and {@code min-fresh} are checked against. A streamed response is stored as the
 * same complete response, rebuilt from its events by {@link MessageRecorder} or {@link CompletionRecorder}, once the
 * stream ended normally. Any entry serves a request that was not streamed as it is, and a streamed request as a
 * stream in its protocol (see {@link ChatReplay}).
 */
final class ChatCache {

    /** The value of the stored {@code format} for an OpenAI completion, which either client protocol can read. */
    static final String COMPLETION = "completion";
    /** The value of the stored {@code format} for an Anthropic message from a native call. */
    static final String MESSAGE = "message";

    private static final Logger LOG = LoggerFactory.getLogger(ChatCache.class);
    private static final Set<String> DELIVERY_FIELDS = Set.of("stream", "stream_options");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ChatCacheSettings settings;
    private final String key;
    private final String requestId;

    private ChatCache(ChatCacheSettings settings, String key, String requestId) {
        this.settings = settings;
        this.key = key;
        this.requestId = requestId;
    }

    /** Returns the cache of {@code request}, or null when the route does not cache chat completions. */
    static ChatCache of(RequestContext ctx, ChatRequest request) {
        ChatCacheSettings settings = ctx.attribute(ChatCacheSettings.ATTRIBUTE);
        if (settings == null) {
            return null;
        }
        String scope = settings.perConsumer() ? "consumer=" + (ctx.consumer() == null ? "-" : ctx.consumer())
                : "shared";
        String protocol = request.protocol() == Protocol.ANTHROPIC ? "anthropic" : "openai";
        String key = settings.route() + " chat " + protocol + " " + scope + " "
                + digest(request.original());
        return new ChatCache(settings, key, ctx.requestId());
    }

    String key() {
        return key;
    }

    /**
     * Returns the stored entry of this request, or a null result when there is none or it cannot be read. Fails when
     * the store fails, such as while Redis is unavailable.
     */
    Future<Entry> lookup() {
        return settings.store().get(key).map(value -> {
            if (value == null) {
                return null;
            }
            JsonNode json = Wire.parse(value);
            if (!(json instanceof ObjectNode entry) || !entry.path("body").isObject()) {
                return null;
            }
            return new Entry(entry.path("format").asText(), entry.path("provider").asText(),
                    entry.path("model").asText(), entry.path("storedAt").asLong(-1),
                    entry.path("freshUntil").asLong(-1), (ObjectNode) entry.get("body"));
        }).onFailure(cause -> LOG.debug("Chat cache look-up for request {} in the {} store failed: {}", requestId,
                settings.store().type(), cause.toString()));
    }

    /** Returns the largest response body stored, in bytes. */
    long maxObjectSize() {
        return settings.maxObjectSize();
    }

    /** Stores a complete response of {@code format}, unless it is larger than the policy's maximum object size. */
    void store(String format, String provider, String model, Buffer body) {
        if (body.length() > settings.maxObjectSize()) {
            LOG.debug("Chat completion of request {} exceeds the cache's {} bytes and is not stored", requestId,
                    settings.maxObjectSize());
            return;
        }
        Buffer value = Buffer.buffer(body.length() + 160);
        long now = System.currentTimeMillis();
        ObjectNode header = NODES.objectNode().put("format", format).put("provider", provider).put("model", model)
                .put("storedAt", now).put("freshUntil", now + settings.ttl().toMillis());
        String text = header.toString();
        // The body is spliced in as it is, so it is neither parsed nor serialized again.
        value.appendString(text.substring(0, text.length() - 1)).appendString(",\"body\":").appendBuffer(body)
                .appendString("}");
        settings.store().put(key, value, settings.ttl()).onFailure(cause -> LOG.debug(
                "Storing the chat completion of request {} failed: {}", requestId, cause.toString()));
    }

    /**
     * A stored response.
     *
     * @param format {@link #COMPLETION} or {@link #MESSAGE}
     * @param provider the provider that produced it
     * @param model the provider's model id
     * @param storedAtMillis when it was stored, in milliseconds since the epoch; -1 for an entry written before
     *     entries recorded it
     * @param freshUntilMillis when its time to live ends, in milliseconds since the epoch; -1 when unknown
     * @param body the OpenAI completion or the Anthropic message
     */
    record Entry(String format, String provider, String model, long storedAtMillis, long freshUntilMillis,
                 ObjectNode body) {

        /** Returns whether the entry's age and remaining freshness are known. */
        boolean dated() {
            return storedAtMillis >= 0 && freshUntilMillis >= 0;
        }

        /** Returns the entry's age in whole seconds at {@code nowMillis}. */
        long ageSeconds(long nowMillis) {
            return Math.max(0, nowMillis - storedAtMillis) / 1000;
        }

        /**
         * Returns why the entry cannot serve a request with {@code directives} at {@code nowMillis}, as the
         * {@code fwd} parameter of {@code Cache-Status}, or null when it can: {@code stale} once its time to live
         * has ended, {@code request} when the request's {@code max-age} or {@code min-fresh} rules it out. An entry
         * of unknown age satisfies no {@code max-age} or {@code min-fresh}.
         */
        String unusable(CacheControl directives, long nowMillis) {
            if (!dated()) {
                return directives.has("max-age") || directives.has("min-fresh") ? "request" : null;
            }
            if (nowMillis >= freshUntilMillis) {
                // The store removes an entry when its time to live ends, so this happens only in that instant.
                return "stale";
            }
            return directives.accepts(ageSeconds(nowMillis), freshUntilMillis - nowMillis) ? null : "request";
        }
    }

    private static String digest(ObjectNode body) {
        StringBuilder canonical = new StringBuilder(1024);
        ObjectNode copy = body.deepCopy();
        copy.remove(DELIVERY_FIELDS);
        canonical(copy, canonical);
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.toString()
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Writes {@code node} as JSON with the members of every object sorted by name. */
    private static void canonical(JsonNode node, StringBuilder out) {
        if (node instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            out.append('{');
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(NODES.textNode(names.get(i)).toString()).append(':');
                canonical(object.get(names.get(i)), out);
            }
            out.append('}');
        } else if (node instanceof ArrayNode array) {
            out.append('[');
            for (int i = 0; i < array.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                canonical(array.get(i), out);
            }
            out.append(']');
        } else {
            out.append(node.toString());
        }
    }
}
