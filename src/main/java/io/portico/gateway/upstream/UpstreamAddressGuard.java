package io.portico.gateway.upstream;

import io.portico.net.AddressRules;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes each new upstream connection whose peer address is not public (see {@link AddressRules}), before any
 * request is written on it. It runs as the connect handler of Vert.x's client and as the remote address filter of
 * {@code Http1Client}, so it checks the address the connection actually
 * reached after DNS resolution. A target name that resolves to a metadata or loopback address is caught as well as
 * a literal one. The request that waited for the connection fails as if the upstream had closed it, and is retried on
 * another target when the service allows it.
 */
final class UpstreamAddressGuard implements Handler<HttpConnection>, Predicate<InetSocketAddress> {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamAddressGuard.class);
    /** Maximum number of addresses remembered for logging, so that ever new addresses cannot grow memory. */
    private static final int MAX_LOGGED = 1_000;

    private final String service;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    UpstreamAddressGuard(String service) {
        this.service = service;
    }

    @Override
    public void handle(HttpConnection connection) {
        SocketAddress remote = connection.remoteAddress(true);
        if (!allows(remote == null ? null : remote.hostAddress())) {
            connection.close();
        }
    }

    /** Returns true when {@code remote} is public. The caller closes the connection otherwise. */
    @Override
    public boolean test(InetSocketAddress remote) {
        return allows(remote == null || remote.getAddress() == null ? null : remote.getAddress().getHostAddress());
    }

    private boolean allows(String address) {
        AddressRules.Kind kind = address == null ? null : AddressRules.classifyLiteral(address);
        if (kind == AddressRules.Kind.PUBLIC) {
            return true;
        }
        String described = kind == null ? "unknown" : kind.description();
        if (logged.size() < MAX_LOGGED && logged.add(String.valueOf(address))) {
            LOG.warn("Closed a connection of upstream service '{}' to the {} address {}: "
                    + "upstreams.allowPrivateAddresses is false, so upstream targets must resolve to public addresses",
                    service, described, address);
        } else {
            LOG.debug("Closed a connection of upstream service '{}' to the {} address {}", service, described, address);
        }
        return false;
    }
}
