/**
 * What the token-based authentication policies ({@code jwt} and {@code oauth-introspection}) share: where a
 * bearer token is read from and removed, and the RFC 6750 challenges they answer with.
 */
package io.portico.policy.auth.bearer;
