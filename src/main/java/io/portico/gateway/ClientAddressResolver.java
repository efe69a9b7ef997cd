package io.portico.gateway;

import static java.util.Objects.requireNonNull;

import io.portico.net.IpAddress;
import io.portico.net.IpRangeSet;
import io.portico.node.NodeConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Determines the client address of a request. It is the socket peer's address unless the peer is a trusted
 * proxy. Then the forwarding header ({@code X-Forwarded-For} or RFC 7239 {@code Forwarded}) is read from the
 * right: every proxy appends the address it received the request from, so each entry is only as trustworthy
 * as the proxy that wrote it. Entries that are themselves trusted proxies are skipped, and the first untrusted
 * address is the client's. Everything to its left was written by the client or by proxies that are not trusted.
 * It is never read, so garbage there cannot change the result.
 *
 * <p>A malformed entry within the trusted part makes the peer the client. An {@code unknown} or obfuscated
 * {@code Forwarded} node ({@code for=unknown}, {@code for=_hidden}), or an element without {@code for}, ends
 * the walk: the nearest address known, that of the proxy that wrote the entry, is the client's. When every
 * entry is a trusted proxy, the leftmost one is the client.
 */
final class ClientAddressResolver {

    private static final CharSequence X_FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
    private static final CharSequence FORWARDED = HttpHeaders.createOptimized("Forwarded");

    private final IpRangeSet trustedProxies;
    private final boolean forwarded;

    /**
     * Creates a resolver.
     *
     * @param forwarded read {@code Forwarded} rather than {@code X-Forwarded-For}
     */
    ClientAddressResolver(IpRangeSet trustedProxies, boolean forwarded) {
        this.trustedProxies = requireNonNull(trustedProxies, "trustedProxies");
        this.forwarded = forwarded;
    }

    /**
     * Creates the resolver of the node settings.
     *
     * @throws IllegalArgumentException when a trusted proxy entry is invalid; the node loader rejects those first
     */
    static ClientAddressResolver of(NodeConfig.ClientAddress settings) {
        return new ClientAddressResolver(IpRangeSet.parse(settings.trustedProxies()), settings.usesForwarded());
    }

    /**
     * Returns the addresses the request came through that Portico believes: the client first, the socket peer
     * last. Empty when the peer has no IP address, for example on a Unix domain socket.
     */
    List<IpAddress> resolve(HttpServerRequest request) {
        SocketAddress remote = request.remoteAddress();
        IpAddress peer = remote == null ? null : peerAddress(remote.hostAddress());
        if (peer == null) {
            return List.of();
        }
        if (!trustedProxies.contains(peer)) {
            return List.of(peer);
        }
        return resolve(peer, request.headers().getAll(forwarded ? FORWARDED : X_FORWARDED_FOR));
    }

    /** Walks the forwarding header {@code values} (one per header line) from the right, for a trusted peer. */
    List<IpAddress> resolve(IpAddress peer, List<String> values) {
        List<IpAddress> hops = new ArrayList<>(4);
        hops.add(peer);
        Entry entry = new Entry();
        walk:
        for (int line = values.size() - 1; line >= 0; line--) {
            String value = values.get(line);
            int end = value.length();
            while (end > 0) {
                int start = forwarded ? ForwardedValues.elementStart(value, end) : value.lastIndexOf(',', end - 1) + 1;
                if (start < 0) {
                    return List.of(peer);
                }
                Node node = forwarded ? ForwardedValues.forNode(value, start, end, entry)
                        : ForwardedValues.node(value, start, end, entry);
                end = start - 1;
                if (node == Node.EMPTY) {
                    continue;
                }
                if (node == Node.MALFORMED) {
                    return List.of(peer);
                }
                if (node == Node.UNKNOWN) {
                    break walk;
                }
                hops.add(entry.address);
                if (!trustedProxies.contains(entry.address)) {
                    break walk;
                }
            }
        }
        Collections.reverse(hops);
        return hops;
    }

    /** Parses the peer's address as Java prints it, without the IPv6 scope id that link-local addresses carry. */
    private static IpAddress peerAddress(String text) {
        if (text == null) {
            return null;
        }
        int scope = text.indexOf('%');
        return IpAddress.parse(scope < 0 ? text : text.substring(0, scope));
    }

    /** The kind of node that one entry of a forwarding header contains. */
    enum Node { ADDRESS, UNKNOWN, EMPTY, MALFORMED }

    /** The address of the last entry parsed, when it named one. */
    static final class Entry {
        IpAddress address;
    }
}
