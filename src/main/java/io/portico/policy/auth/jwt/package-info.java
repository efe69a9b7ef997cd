/** The {@code jwt} policy: bearer tokens that are JWS-signed JWTs, verified with configured or fetched keys. */
package io.portico.policy.auth.jwt;
