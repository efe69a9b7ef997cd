/**
 * Policy implementations, one sub-package per policy type, each registered as a
 * {@link io.portico.pipeline.PolicyFactory} service. The configuration key of a policy type matches its class
 * name: {@code rate-limit} is {@code RateLimitPolicy}.
 */
package io.portico.policy;
