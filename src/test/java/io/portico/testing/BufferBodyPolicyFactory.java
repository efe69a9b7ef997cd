package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;
import io.portico.problem.ProblemType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A test policy, {@code buffer-body}: reads the whole request body into {@code RequestContext.bufferedBody}, as a
 * policy that signs or checks the body does, and then passes the request on. It takes no settings.
 */
public final class BufferBodyPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "buffer-body";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        // No settings.
    }

    @Override
    public Policy create(ObjectNode config) {
        return (ctx, chain) -> {
            HttpServerRequest request = ctx.request();
            Buffer body = Buffer.buffer();
            ctx.continueIfExpected();
            request.handler(body::appendBuffer);
            request.exceptionHandler(cause -> ctx.fail(ProblemType.BAD_REQUEST, "reading the request body failed"));
            request.endHandler(end -> {
                request.handler(null);
                ctx.bufferedBody(body);
                chain.proceed(ctx);
            });
            request.resume();
        };
    }
}
