package io.portico.gateway;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;

/** Maps the reasons an HTTP/1.x request head failed to decode to the problems sent to the client. */
final class InvalidRequests {

    private InvalidRequests() {
    }

    /**
     * Returns the problem for {@code cause}. Netty's own messages are not passed on, because they may quote the
     * request, so its failures get a fixed detail.
     */
    static Problem problem(Throwable cause) {
        if (cause instanceof InvalidRequestHeadException rejected) {
            return new Problem(rejected.type(), rejected.getMessage());
        }
        if (cause instanceof TooLongHttpLineException) {
            return new Problem(ProblemType.URI_TOO_LONG, "the request line exceeds the limit limits.maxUriLength");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Problem(ProblemType.HEADERS_TOO_LARGE,
                    "the request header section exceeds the limit limits.maxHeaderSize");
        }
        return new Problem(ProblemType.BAD_REQUEST, "the request is not valid HTTP/1.1: its request line, a header "
                + "line, Content-Length or the chunked body framing is malformed");
    }
}
