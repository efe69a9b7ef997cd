package io.portico.net;

/**
 * A CIDR range of IPv4 or IPv6 addresses, or a single address, as written in configuration: {@code 192.0.2.0/24},
 * {@code 2001:db8::/32}, {@code 198.51.100.7}. An IPv4 range covers the IPv4-mapped IPv6 form of its addresses
 * too (see {@link IpAddress}).
 */
public final class IpRange {

    private final IpAddress first;
    private final IpAddress last;
    private final boolean writtenAsIpv6;
    private final String text;

    private IpRange(IpAddress first, IpAddress last, boolean writtenAsIpv6, String text) {
        this.first = first;
        this.last = last;
        this.writtenAsIpv6 = writtenAsIpv6;
        this.text = text;
    }

    /**
     * Parses an address or a CIDR range.
     *
     * @throws IllegalArgumentException when {@code text} is not an address literal, optionally followed by
     *     {@code /prefix}, or when it sets bits after the prefix; the message quotes the text and states what to
     *     fix
     */
    public static IpRange parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("must be an IP address or CIDR range, for example 192.0.2.0/24");
        }
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        IpAddress address = IpAddress.parse(addressText);
        if (address == null) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 or IPv6 address or CIDR range"
                    + hint(addressText));
        }
        boolean ipv6 = addressText.indexOf(':') >= 0;
        int maxPrefix = ipv6 ? 128 : 32;
        int prefix = slash < 0 ? maxPrefix : parsePrefix(text.substring(slash + 1), maxPrefix);
        if (prefix < 0) {
            throw new IllegalArgumentException("'" + text + "' has an invalid prefix length: it must be a number "
                    + "from 0 to " + maxPrefix);
        }
        int bits = ipv6 ? prefix : 96 + prefix;
        long highMask = mask(Math.min(bits, 64));
        long lowMask = mask(Math.max(bits - 64, 0));
        IpAddress first = new IpAddress(address.high() & highMask, address.low() & lowMask);
        if (!first.equals(address)) {
            String network = (ipv6 ? formatIpv6Network(first) : first.toString()) + "/" + prefix;
            throw new IllegalArgumentException("'" + text + "' has bits set after the /" + prefix
                    + " prefix; write the network address " + network + ", or a longer prefix");
        }
        IpAddress last = new IpAddress(address.high() | ~highMask, address.low() | ~lowMask);
        String canonical = ipv6 ? formatIpv6Network(first) : first.toString();
        return new IpRange(first, last, ipv6, slash < 0 ? canonical : canonical + "/" + prefix);
    }

    IpAddress first() {
        return first;
    }

    IpAddress last() {
        return last;
    }

    /** Returns true when the range was written in IPv6 notation, IPv4-mapped notation included. */
    boolean writtenAsIpv6() {
        return writtenAsIpv6;
    }

    /** Returns the range in canonical form: {@code 2001:db8::/32}, {@code 192.0.2.0/24}, or an address alone. */
    @Override
    public String toString() {
        return text;
    }

    /** Returns a 64-bit mask with the {@code bits} highest bits set, {@code bits} from 0 to 64. */
    private static long mask(int bits) {
        if (bits == 0) {
            return 0;
        }
        return -1L << (64 - bits);
    }

    private static int parsePrefix(String text, int max) {
        if (text.isEmpty() || text.length() > 3 || text.length() > 1 && text.charAt(0) == '0') {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + c - '0';
        }
        return value > max ? -1 : value;
    }

    /** Formats an address written in IPv6 notation; an IPv4-mapped one keeps its {@code ::ffff:} prefix. */
    private static String formatIpv6Network(IpAddress address) {
        return address.isIpv4() ? "::ffff:" + address : address.toString();
    }

    private static String hint(String address) {
        if (address.indexOf('%') >= 0) {
            return " (zone ids such as %eth0 are not allowed)";
        }
        if (address.startsWith("[")) {
            return " (write IPv6 addresses without brackets)";
        }
        if (address.indexOf(':') < 0 && address.matches(".*(^|\\.)0\\d.*")) {
            return " (IPv4 parts must not have leading zeros)";
        }
        return "";
    }
}
