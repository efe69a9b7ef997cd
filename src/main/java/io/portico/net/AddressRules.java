package io.portico.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Classifies IP addresses for protection against server-side request forgery: whether an outbound connection to an
 * address could reach the gateway's own host, its private network or a cloud metadata service instead of the
 * public internet. Classify the address a connection actually goes to (after DNS resolution), never a host name,
 * because a name can resolve to any address.
 *
 * <p>IPv6 forms that carry an IPv4 address are classified by that IPv4 address: IPv4-mapped {@code ::ffff:0:0/96},
 * IPv4-translated {@code ::ffff:0:0:0/96}, IPv4-compatible {@code ::/96}, NAT64 {@code 64:ff9b::/96} and 6to4
 * {@code 2002::/16}. So {@code ::ffff:127.0.0.1} is loopback and {@code 2002:a9fe:a9fe::} is a metadata address.
 */
public final class AddressRules {

    /** The kinds of address, from the point of view of an outbound connection. */
    public enum Kind {
        /** Reachable on the public internet. */
        PUBLIC("public"),
        /** The host itself: {@code 127.0.0.0/8}, {@code ::1}. */
        LOOPBACK("loopback"),
        /**
         * A private network: {@code 10.0.0.0/8}, {@code 172.16.0.0/12}, {@code 192.168.0.0/16}, shared address space
         * {@code 100.64.0.0/10}, unique local {@code fc00::/7}, site-local {@code fec0::/10} and local-use NAT64
         * {@code 64:ff9b:1::/48}.
         */
        PRIVATE("private"),
        /** The local link: {@code 169.254.0.0/16}, {@code fe80::/10}. */
        LINK_LOCAL("link-local"),
        /**
         * A cloud instance metadata service, which hands out credentials: {@code 169.254.169.254} (AWS, Azure, Google
         * Cloud, Oracle Cloud and others), {@code 169.254.170.2} (AWS container credentials), {@code 100.100.100.200}
         * (Alibaba Cloud) and {@code fd00:ec2::254} (AWS over IPv6).
         */
        METADATA("cloud metadata"),
        /** No address: {@code 0.0.0.0/8}, {@code ::}; connecting to it reaches the host itself on most systems. */
        UNSPECIFIED("unspecified"),
        /** Multicast: {@code 224.0.0.0/4}, {@code ff00::/8}. */
        MULTICAST("multicast"),
        /**
         * Not routed on the internet: documentation, benchmarking and protocol ranges, {@code 240.0.0.0/4}, broadcast,
         * IPv6 discard-only {@code 100::/64}, documentation {@code 2001:db8::/32}, Teredo {@code 2001::/32} and
         * ORCHID {@code 2001:10::/28}, {@code 2001:20::/28}.
         */
        RESERVED("reserved");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        /** Returns the kind in words, for messages: {@code loopback}, {@code cloud metadata} and so on. */
        public String description() {
            return description;
        }
    }

    private AddressRules() {
    }

    /** Returns true when {@code address} is a public internet address, the only kind SSRF protection allows. */
    public static boolean isPublic(InetAddress address) {
        return classify(address) == Kind.PUBLIC;
    }

    /** Returns the kind of {@code address}. */
    public static Kind classify(InetAddress address) {
        byte[] bytes = address.getAddress();
        return address instanceof Inet4Address ? classifyV4(bytes) : classifyV6(bytes);
    }

    /**
     * Returns the kind of the IP address literal {@code literal} (IPv4 or IPv6, with or without brackets), or null
     * when it is not an IP literal as {@link IpAddress#parse} reads it. Never resolves a name.
     */
    public static Kind classifyLiteral(String literal) {
        String bare = literal.startsWith("[") && literal.endsWith("]")
                ? literal.substring(1, literal.length() - 1) : literal;
        IpAddress parsed = IpAddress.parse(bare);
        if (parsed == null) {
            return null;
        }
        try {
            // getByName does not query DNS for the literal that IpAddress wrote.
            return classify(InetAddress.getByName(parsed.toString()));
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static Kind classifyV4(byte[] bytes) {
        int a = bytes[0] & 0xff;
        int b = bytes[1] & 0xff;
        int c = bytes[2] & 0xff;
        int d = bytes[3] & 0xff;
        if (a == 169 && b == 254 && (c == 169 && d == 254 || c == 170 && d == 2)
                || a == 100 && b == 100 && c == 100 && d == 200) {
            return Kind.METADATA;
        }
        if (a == 0) {
            return Kind.UNSPECIFIED;
        }
        if (a == 127) {
            return Kind.LOOPBACK;
        }
        if (a == 10 || a == 172 && b >= 16 && b <= 31 || a == 192 && b == 168 || a == 100 && b >= 64 && b <= 127) {
            return Kind.PRIVATE;
        }
        if (a == 169 && b == 254) {
            return Kind.LINK_LOCAL;
        }
        if (a >= 224 && a <= 239) {
            return Kind.MULTICAST;
        }
        boolean protocolAssignments = a == 192 && b == 0 && c == 0;
        boolean documentation = a == 192 && b == 0 && c == 2 || a == 198 && b == 51 && c == 100
                || a == 203 && b == 0 && c == 113;
        boolean benchmarking = a == 198 && (b == 18 || b == 19);
        boolean relayAnycast = a == 192 && b == 88 && c == 99;
        if (a >= 240 || protocolAssignments || documentation || benchmarking || relayAnycast) {
            return Kind.RESERVED;
        }
        return Kind.PUBLIC;
    }

    private static Kind classifyV6(byte[] bytes) {
        byte[] embedded = embeddedV4(bytes);
        if (embedded != null) {
            return classifyV4(embedded);
        }
        int first = (bytes[0] & 0xff) << 8 | bytes[1] & 0xff;
        int second = (bytes[2] & 0xff) << 8 | bytes[3] & 0xff;
        if (isZero(bytes, 0, 15)) {
            return bytes[15] == 1 ? Kind.LOOPBACK : Kind.UNSPECIFIED;
        }
        if (first == 0xfd00 && second == 0x0ec2 && isZero(bytes, 4, 14) && (bytes[14] & 0xff) == 0x02
                && (bytes[15] & 0xff) == 0x54) {
            return Kind.METADATA;
        }
        // A NAT64 address that is not in 64:ff9b::/96, handled above, is local-use 64:ff9b:1::/48 or unassigned.
        if ((first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 || first == 0x0064 && second == 0xff9b) {
            return Kind.PRIVATE;
        }
        if ((first & 0xffc0) == 0xfe80) {
            return Kind.LINK_LOCAL;
        }
        if ((first & 0xff00) == 0xff00) {
            return Kind.MULTICAST;
        }
        boolean discard = first == 0x0100 && isZero(bytes, 2, 8);
        boolean documentation = first == 0x2001 && second == 0x0db8;
        boolean teredo = first == 0x2001 && second == 0;
        boolean orchid = first == 0x2001 && ((second & 0xfff0) == 0x0010 || (second & 0xfff0) == 0x0020);
        if (discard || documentation || teredo || orchid || first < 0x2000 || first >= 0x4000) {
            // Outside 2000::/3 nothing is allocated for global unicast, apart from the ranges handled above.
            return Kind.RESERVED;
        }
        return Kind.PUBLIC;
    }

    /**
     * Returns the IPv4 address that an IPv6 address carries, or null: IPv4-mapped {@code ::ffff:0:0/96},
     * IPv4-translated {@code ::ffff:0:0:0/96}, IPv4-compatible {@code ::/96} (not {@code ::} and {@code ::1}),
     * NAT64 {@code 64:ff9b::/96} and 6to4 {@code 2002::/16}.
     */
    private static byte[] embeddedV4(byte[] bytes) {
        boolean zeroPrefix = isZero(bytes, 0, 10);
        boolean mapped = zeroPrefix && (bytes[10] & 0xff) == 0xff && (bytes[11] & 0xff) == 0xff;
        boolean translated = isZero(bytes, 0, 8) && (bytes[8] & 0xff) == 0xff && (bytes[9] & 0xff) == 0xff
                && bytes[10] == 0 && bytes[11] == 0;
        boolean compatible = zeroPrefix && bytes[10] == 0 && bytes[11] == 0 && !isZero(bytes, 12, 15);
        boolean nat64 = bytes[0] == 0 && (bytes[1] & 0xff) == 0x64 && (bytes[2] & 0xff) == 0xff
                && (bytes[3] & 0xff) == 0x9b && isZero(bytes, 4, 12);
        if (mapped || translated || compatible || nat64) {
            return Arrays.copyOfRange(bytes, 12, 16);
        }
        if ((bytes[0] & 0xff) == 0x20 && (bytes[1] & 0xff) == 0x02) {
            return Arrays.copyOfRange(bytes, 2, 6);
        }
        return null;
    }

    /** Returns true when {@code bytes[from]} to {@code bytes[to - 1]} are all zero. */
    private static boolean isZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
