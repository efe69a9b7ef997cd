/** The {@code oauth-introspection} policy: bearer tokens checked by an authorization server (RFC 7662). */
package io.portico.policy.auth.introspection;
