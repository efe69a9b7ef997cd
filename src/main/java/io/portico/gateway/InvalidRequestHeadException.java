package io.portico.gateway;

import static java.util.Objects.requireNonNull;

import io.portico.problem.ProblemType;

/**
 * The reason the gateway rejected an HTTP/1.x request head before routing it: the problem type sent to the client
 * and a detail for people. Carries no stack trace, because a client can cause any number of these.
 */
final class InvalidRequestHeadException extends RuntimeException {

    private final ProblemType type;

    InvalidRequestHeadException(ProblemType type, String detail) {
        super(requireNonNull(detail, "detail"), null, false, false);
        this.type = requireNonNull(type, "type");
    }

    /** Returns a 400 {@code bad-request} rejection with {@code detail}. */
    static InvalidRequestHeadException badRequest(String detail) {
        return new InvalidRequestHeadException(ProblemType.BAD_REQUEST, detail);
    }

    ProblemType type() {
        return type;
    }
}
