package io.portico.pipeline;

import io.portico.problem.Problem;

/**
 * Writes a problem the gateway reports as the response, in the shape the route's clients parse: an RFC 9457
 * problem document on REST routes, the OpenAI or Anthropic error object on AI routes. Each route has one, so
 * policies report failures with {@link RequestContext#fail} and never choose a format themselves.
 */
@FunctionalInterface
public interface ProblemRenderer {

    /** Writes {@code application/problem+json}. */
    ProblemRenderer PROBLEM_JSON = (ctx, problem) -> problem.send(ctx.response(), ctx.requestId());

    /** Writes {@code problem} with its status; called only while the response head is not yet written. */
    void render(RequestContext ctx, Problem problem);
}
