package io.portico.pipeline;

/** The rest of the pipeline after the current policy: the remaining policies, then the route's backend. */
@FunctionalInterface
public interface PolicyChain {

    /** Passes the request to the next policy, or to the backend after the last one. */
    void proceed(RequestContext ctx);
}
