package io.portico.admin;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.declarative.DeclarativeDocument;
import io.portico.declarative.DocumentFormat;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Reads admin request bodies and writes admin responses. */
final class Exchange {

    private Exchange() {
    }

    /**
     * Reads the body as a JSON object. Accepts {@code application/json} and any {@code application/*+json} type,
     * such as {@code application/merge-patch+json}.
     *
     * @throws Problem 415 for another content type, 400 when the body is empty or not a JSON object
     */
    static ObjectNode jsonObject(RoutingContext ctx) {
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (DocumentFormat.of(contentType).orElse(null) != DocumentFormat.JSON) {
            throw new Problem(ProblemType.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json, not "
                    + (contentType == null ? "without a Content-Type" : contentType));
        }
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) {
            throw new Problem(ProblemType.BAD_REQUEST, "the request body is empty; send a JSON object");
        }
        JsonNode json;
        try {
            json = Json.readSingleValue(Json.MAPPER.reader(), body.getBytes());
        } catch (JsonProcessingException e) {
            // The parser's message may quote the body, which can hold a secret: report the position, and the key
            // when it is a repeated one.
            throw new Problem(ProblemType.BAD_REQUEST, "the request body is not valid JSON" + at(e.getLocation())
                    + Json.duplicateKeyNote(e) + Json.trailingContentNote(e));
        } catch (IOException e) {
            throw new Problem(ProblemType.BAD_REQUEST, "the request body cannot be read as JSON");
        }
        if (!(json instanceof ObjectNode object)) {
            throw new Problem(ProblemType.BAD_REQUEST, "the request body must be a JSON object");
        }
        return object;
    }

    /**
     * Reads the body as a JSON object like {@link #jsonObject}, but returns an empty object when there is no body.
     *
     * @throws Problem 415 for a body of another content type, 400 when it is not a JSON object
     */
    static ObjectNode optionalJsonObject(RoutingContext ctx) {
        Buffer body = ctx.body().buffer();
        return body == null || body.length() == 0 ? Json.MAPPER.createObjectNode() : jsonObject(ctx);
    }

    /** Returns who sends the request, as authentication identified them, for the records of changes. */
    static String actor(RoutingContext ctx) {
        return Principal.of(ctx).actor();
    }

    /**
     * Returns the body text of a declarative document in JSON or YAML. Parse it with
     * {@link DeclarativeDocument#parseLiteral} on a worker thread: the server never substitutes {@code ${NAME}}.
     *
     * @throws Problem 415 when the content type is neither JSON nor YAML
     */
    static String documentText(RoutingContext ctx) {
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (DocumentFormat.of(contentType).isEmpty()) {
            throw new Problem(ProblemType.UNSUPPORTED_MEDIA_TYPE, "send the document as application/json or"
                    + " application/yaml, not " + (contentType == null ? "without a Content-Type" : contentType));
        }
        Buffer body = ctx.body().buffer();
        return body == null ? "" : body.toString(StandardCharsets.UTF_8);
    }

    /** Returns the document format the client asked for with {@code ?format=} or {@code Accept}; JSON by default. */
    static DocumentFormat requestedFormat(RoutingContext ctx) {
        String query = ctx.request().getParam("format");
        if (query != null) {
            return DocumentFormat.of(query).orElseThrow(() -> new Problem(ProblemType.BAD_REQUEST,
                    "format must be json or yaml"));
        }
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        boolean yaml = accept != null && accept.toLowerCase(Locale.ROOT).contains("yaml");
        return yaml ? DocumentFormat.YAML : DocumentFormat.JSON;
    }

    /** Sends {@code body} as JSON with {@code status}. */
    static void sendJson(RoutingContext ctx, int status, JsonNode body) {
        send(ctx, status, DocumentFormat.JSON.mediaType(), body.toString());
    }

    /**
     * Sends {@code text} with {@code status} and {@code contentType}. Content-Length is set here, because Vert.x
     * leaves it out of a response to HEAD, which then would not carry the headers of GET.
     */
    static void send(RoutingContext ctx, int status, String contentType, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, contentType)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(bytes.length))
                .end(Buffer.buffer(bytes));
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }
}
