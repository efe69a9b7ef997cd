/**
 * JSON Web Signature keys shared by the {@code jwt} policy and Portico's authorization server: which key types
 * verify which algorithms, public keys read from PEM text, and key sets indexed by key id. Built on
 * nimbus-jose-jwt, except Ed25519, which the JDK verifies.
 */
package io.portico.jose;
