package io.portico.net;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Resolves the host of an outbound call and accepts it only when every address it resolves to is public by
 * {@link AddressRules}. The caller connects to the returned address, never to the name again, so a second DNS answer
 * cannot send the connection elsewhere. Resolution blocks, so call it off the event loop.
 */
public final class PublicAddressResolver {

    /** Looks up every address of a host name or IP literal. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] lookup(String host) throws UnknownHostException;
    }

    /** The JVM's resolver, which reads an IP literal without a DNS query. */
    public static final PublicAddressResolver SYSTEM = new PublicAddressResolver(InetAddress::getAllByName);

    /** The failure of a host that resolves to an address that is not public. */
    public static final class NonPublicAddressException extends IOException {

        private static final long serialVersionUID = 1L;

        NonPublicAddressException(String host, InetAddress address, AddressRules.Kind kind) {
            super(host + " resolves to the " + kind.description() + " address " + address.getHostAddress());
        }
    }

    private final Lookup lookup;

    public PublicAddressResolver(Lookup lookup) {
        this.lookup = requireNonNull(lookup, "lookup");
    }

    /**
     * Resolves {@code host}, a name or an IP literal with or without brackets, and returns its first address.
     *
     * @throws UnknownHostException when the host does not resolve
     * @throws NonPublicAddressException when any of its addresses is loopback, private, link-local, cloud metadata
     *     or of another kind that is not public
     */
    public InetAddress resolve(String host) throws IOException {
        InetAddress[] addresses = lookup.lookup(host);
        if (addresses == null || addresses.length == 0) {
            throw new UnknownHostException(host + " does not resolve");
        }
        for (InetAddress address : addresses) {
            AddressRules.Kind kind = AddressRules.classify(address);
            if (kind != AddressRules.Kind.PUBLIC) {
                throw new NonPublicAddressException(host, address, kind);
            }
        }
        return addresses[0];
    }
}
