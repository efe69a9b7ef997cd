package io.portico.ai;

import io.portico.ai.spi.AiError;
import io.portico.pipeline.ProblemRenderer;
import io.portico.pipeline.RequestContext;
import io.portico.problem.Problem;

/**
 * Writes the problems that policies and the gateway report on AI routes as the error object of the client's
 * protocol, so that OpenAI and Anthropic SDKs raise their usual typed exceptions. The status stays the problem's;
 * the error's {@code code} (OpenAI) is the problem type with underscores, such as {@code subscription_required},
 * and its message is the problem's detail, or its title when there is no detail. A 401 gets the code that the
 * OpenAI API sends for an invalid key, {@code invalid_api_key}, with type {@code invalid_request_error}.
 */
final class AiProblemRenderer implements ProblemRenderer {

    private static final String INVALID_API_KEY = "invalid_api_key";

    @Override
    public void render(RequestContext ctx, Problem problem) {
        int status = problem.type().status();
        String message = problem.detail() != null ? problem.detail() : problem.type().title();
        String code = status == 401 ? INVALID_API_KEY : problem.type().slug().replace('-', '_');
        AiError error = new AiError(status, AiError.typeFor(status), code, message, -1);
        ctx.attribute(AiGateway.ERROR_ATTRIBUTE, message);
        AiBackend.errorFrontend(ctx).writeError(ctx.response(), error);
    }
}
