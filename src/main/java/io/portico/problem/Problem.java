package io.portico.problem;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.FieldError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An RFC 9457 problem details document. Carries the type, status and a detail for people; never a stack trace.
 */
public final class Problem extends RuntimeException {

    /** Media type of problem documents. */
    public static final String CONTENT_TYPE = "application/problem+json";

    private final ProblemType type;
    private final String detail;
    private final List<FieldError> errors;

    public Problem(ProblemType type, String detail) {
        this(type, detail, List.of());
    }

    public Problem(ProblemType type, String detail, List<FieldError> errors) {
        super(detail, null, false, false);
        this.type = requireNonNull(type, "type");
        this.detail = detail;
        this.errors = List.copyOf(errors);
    }

    public ProblemType type() {
        return type;
    }

    public String detail() {
        return detail;
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** Returns the JSON document, with {@code instance} set to the request id when one is given. */
    public ObjectNode toJson(String requestId) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("type", type.uri());
        body.put("title", type.title());
        body.put("status", type.status());
        if (detail != null) {
            body.put("detail", detail);
        }
        if (requestId != null) {
            body.put("instance", "urn:request:" + requestId);
        }
        if (!errors.isEmpty()) {
            ArrayNode list = body.putArray("errors");
            for (FieldError error : errors) {
                list.addObject().put("field", error.field()).put("message", error.message());
            }
        }
        return body;
    }

    /** Writes this problem as the response, unless response headers were already sent. */
    public void send(HttpServerResponse response, String requestId) {
        if (response.headWritten() || response.ended()) {
            return;
        }
        byte[] bytes = toJson(requestId).toString().getBytes(StandardCharsets.UTF_8);
        response.setStatusCode(type.status())
                .putHeader("content-type", CONTENT_TYPE)
                .putHeader("cache-control", "no-store")
                .end(Buffer.buffer(bytes));
    }
}
