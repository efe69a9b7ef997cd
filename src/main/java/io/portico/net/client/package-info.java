/**
 * A small HTTP/1.1 client on Netty for calls to model providers and for proxying to plain-http upstreams: per event
 * loop keep-alive pools, no request or response objects beyond what the wire needs, and callbacks on the calling
 * event loop.
 */
package io.portico.net.client;
