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
import java.util.Set;

/**
 * An RFC 9457 problem details document. Carries the type, status and a detail for people; never a stack trace.
 */
public final class Problem extends RuntimeException {

    /** Media type of problem documents. */
    public static final String CONTENT_TYPE = "application/problem+json";

    private static final Set<String> STANDARD_MEMBERS = Set.of("type", "title", "status", "detail", "instance",
            "errors");

    private final ProblemType type;
    private final String detail;
    private final List<FieldError> errors;
    /** Extension members added to the document, such as the outcome of each store of a partial purge. */
    private final ObjectNode extensions;

    public Problem(ProblemType type, String detail) {
        this(type, detail, List.of());
    }

    public Problem(ProblemType type, String detail, List<FieldError> errors) {
        this(type, detail, errors, null);
    }

    /**
     * Creates a problem whose document also carries the members of {@code extensions} (RFC 9457 section 3.2).
     * Members named like a standard member ({@code type}, {@code title}, {@code status}, {@code detail},
     * {@code instance}) or {@code errors} are ignored.
     */
    public Problem(ProblemType type, String detail, ObjectNode extensions) {
        this(type, detail, List.of(), extensions);
    }

    private Problem(ProblemType type, String detail, List<FieldError> errors, ObjectNode extensions) {
        super(detail, null, false, false);
        this.type = requireNonNull(type, "type");
        this.detail = detail;
        this.errors = List.copyOf(errors);
        this.extensions = extensions == null ? null : extensions.deepCopy();
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
        if (extensions != null) {
            extensions.properties().forEach(member -> {
                if (!body.has(member.getKey()) && !STANDARD_MEMBERS.contains(member.getKey())) {
                    body.set(member.getKey(), member.getValue().deepCopy());
                }
            });
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
