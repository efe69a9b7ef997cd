/**
 * Shared parts of the authentication policies: the per-snapshot {@link io.portico.policy.auth.CredentialIndex} of
 * credentials by the values requests present, the options every authentication policy takes, and the 401
 * response. Each policy type lives in a sub-package: {@code key}, {@code basic}, {@code hmac} and {@code mtls}.
 */
package io.portico.policy.auth;
