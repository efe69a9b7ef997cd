package io.portico.ai;

import io.portico.ai.spi.AiError;
import io.portico.pipeline.ProblemRenderer;
import io.portico.pipeline.RequestContext;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;

/**
 * Writes the problems that policies and the gateway report on AI routes as the error object of the client's
 * protocol, so that OpenAI and Anthropic SDKs raise their usual typed exceptions. The status is the problem's,
 * the error's {@code code} (OpenAI) is the problem type with underscores, such as {@code subscription_required},
 * and its message is the problem's detail, or its title when there is no detail. A 401 gets the code that the
 * OpenAI API sends for an invalid key, {@code invalid_api_key}, with type {@code invalid_request_error}.
 *
 * <p>The rejections of traffic-control policies are the exception. A concurrency limit gets status 429 rather than
 * its problem's 503, because the OpenAI and Anthropic APIs send their rate limit errors with 429 and their SDKs
 * raise their rate limit exceptions for that status only. OpenAI clients get the type and code of
 * {@link AiError#forOpenAiClient()} for each limit.
 */
final class AiProblemRenderer implements ProblemRenderer {

    private static final String INVALID_API_KEY = "invalid_api_key";

    @Override
    public void render(RequestContext ctx, Problem problem) {
        int status = problem.type() == ProblemType.CONCURRENCY_LIMITED ? 429 : problem.type().status();
        String message = problem.detail() != null ? problem.detail() : problem.type().title();
        String code = status == 401 ? INVALID_API_KEY : problem.type().slug().replace('-', '_');
        AiError error = new AiError(status, AiError.typeFor(status), code, message, -1);
        ctx.attribute(AiGateway.ERROR_ATTRIBUTE, message);
        AiBackend.errorFrontend(ctx).writeError(ctx.response(), error);
    }
}
