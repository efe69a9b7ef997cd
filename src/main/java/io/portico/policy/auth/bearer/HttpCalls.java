package io.portico.policy.auth.bearer;

import io.portico.net.PublicAddressResolver;
import io.portico.pipeline.PolicyContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** Calls of the token policies to key set and introspection endpoints, bounded in time and size. */
public final class HttpCalls {

    private HttpCalls() {
    }

    /**
     * Returns the address check of a policy's outbound calls: none when both the policy's own
     * {@code allowPrivateAddresses} and the node setting {@code upstreams.allowPrivateAddresses} allow non-public
     * addresses, else a check that passes public addresses only.
     */
    public static PublicAddressResolver addressCheck(PolicyContext context, boolean policyAllowsPrivate) {
        return policyAllowsPrivate && context.allowPrivateAddresses() ? null : PublicAddressResolver.SYSTEM;
    }

    /**
     * Sends a request and returns the body of a 200 response; fails on another status, a body larger than
     * {@code maxBytes}, or no complete response within {@code timeout}.
     *
     * @param body the request body; null for none
     * @param addresses the check of the host's addresses before connecting, or null to connect to any address.
     *     With a check, the host is resolved on a worker thread and the connection goes to the checked address. A
     *     host with an address that is not public fails the call before anything is sent.
     */
    public static Future<Buffer> send(Vertx vertx, HttpClient client, RequestOptions options, String body,
                                      Duration timeout, int maxBytes, PublicAddressResolver addresses) {
        Promise<Buffer> result = Promise.promise();
        long timer = vertx.setTimer(timeout.toMillis(), id -> result.tryFail(
                new TimeoutException("no response after " + timeout.toMillis() + " ms")));
        options.setIdleTimeout(timeout.toMillis());
        Future<RequestOptions> checked = addresses == null ? Future.succeededFuture(options)
                : vertx.executeBlocking(() -> connectToChecked(options, addresses), false);
        checked.compose(client::request)
                .compose(request -> body == null ? request.send() : request.send(body))
                .onComplete(sent -> {
                    if (sent.failed()) {
                        result.tryFail(sent.cause());
                    } else {
                        read(sent.result(), maxBytes, result);
                    }
                });
        return result.future().onComplete(done -> vertx.cancelTimer(timer));
    }

    /**
     * Resolves the request's host and points the connection at its checked address. The request keeps the host
     * name for the {@code Host} header, TLS server name and certificate check.
     */
    private static RequestOptions connectToChecked(RequestOptions options, PublicAddressResolver addresses)
            throws IOException {
        InetAddress address;
        try {
            address = addresses.resolve(options.getHost());
        } catch (PublicAddressResolver.NonPublicAddressException e) {
            throw new IOException(e.getMessage() + ", and only public addresses are allowed: the policy's"
                    + " allowPrivateAddresses and the node's upstreams.allowPrivateAddresses must both be true to"
                    + " call other addresses", e);
        }
        return options.setServer(SocketAddress.inetSocketAddress(options.getPort(), address.getHostAddress()));
    }

    private static void read(HttpClientResponse response, int maxBytes, Promise<Buffer> result) {
        if (response.statusCode() != 200) {
            response.end();
            result.tryFail(new IllegalStateException("status " + response.statusCode()));
            return;
        }
        Buffer received = Buffer.buffer();
        response.handler(chunk -> {
            if (received.length() + chunk.length() > maxBytes) {
                result.tryFail(new IllegalStateException("the response is larger than " + maxBytes + " bytes"));
                response.request().reset();
                return;
            }
            received.appendBuffer(chunk);
        });
        response.exceptionHandler(result::tryFail);
        response.endHandler(end -> result.tryComplete(received));
    }
}
