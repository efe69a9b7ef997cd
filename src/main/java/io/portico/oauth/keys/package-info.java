/**
 * The life cycle of the authorization server's signing keys in the configuration store: the first key, rotation
 * and removal. Control-plane code: it writes to the store, which the data plane never does.
 */
package io.portico.oauth.keys;
