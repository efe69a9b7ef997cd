package io.portico.net;

/**
 * An IPv4 or IPv6 address, held as a 128-bit number. An IPv4 address is held in its IPv4-mapped IPv6 form
 * ({@code ::ffff:a.b.c.d}, RFC 4291 section 2.5.5.2), so {@code 192.0.2.1} and {@code ::ffff:192.0.2.1} are
 * the same address and match the same ranges.
 *
 * <p>{@link #parse} accepts address literals only and never resolves a host name. It rejects IPv4 parts with
 * leading zeros, because some resolvers read {@code 010.0.0.1} as octal (8.0.0.1) and others as decimal, and
 * IPv6 zone ids ({@code %eth0}), which are meaningful only on the host that wrote them.
 */
public final class IpAddress {

    /** The high 64 bits of every IPv4-mapped address. */
    static final long MAPPED_HIGH = 0L;
    /** The low 64 bits of {@code ::ffff:0.0.0.0}; an IPv4 address fills the lowest 32 bits. */
    static final long MAPPED_LOW = 0x0000_ffff_0000_0000L;
    /** Longest IPv6 literal: eight groups of four digits, or six groups and a dotted IPv4 address. */
    private static final int MAX_LENGTH = 45;

    private final long high;
    private final long low;
    private String text;

    IpAddress(long high, long low) {
        this.high = high;
        this.low = low;
    }

    private IpAddress(long high, long low, String text) {
        this.high = high;
        this.low = low;
        this.text = text;
    }

    /** Returns the address written in {@code text}, or null when it is not an IPv4 or IPv6 address literal. */
    public static IpAddress parse(String text) {
        if (text == null) {
            return null;
        }
        IpAddress address = parse(text, 0, text.length());
        if (address != null && address.isIpv4() && text.indexOf(':') < 0) {
            // The strict parser accepts only the canonical dotted form, so the text can be kept as it is.
            address.text = text;
        }
        return address;
    }

    /**
     * Returns the address written in {@code text} from {@code start} (inclusive) to {@code end} (exclusive), or
     * null when that part is not an IPv4 or IPv6 address literal.
     */
    public static IpAddress parse(CharSequence text, int start, int end) {
        if (start < 0 || end > text.length() || end - start < 2 || end - start > MAX_LENGTH) {
            return null;
        }
        for (int i = start; i < end; i++) {
            if (text.charAt(i) == ':') {
                return parseIpv6(text, start, end);
            }
        }
        long ipv4 = parseIpv4(text, start, end);
        return ipv4 < 0 ? null : new IpAddress(MAPPED_HIGH, MAPPED_LOW | ipv4);
    }

    /** Returns the IPv4 address with the 32 bits {@code bits}. */
    static IpAddress ipv4(long bits) {
        return new IpAddress(MAPPED_HIGH, MAPPED_LOW | (bits & 0xffff_ffffL));
    }

    /** Returns true for an IPv4 address, whether it was written as IPv4 or as IPv4-mapped IPv6. */
    public boolean isIpv4() {
        return high == MAPPED_HIGH && (low & 0xffff_ffff_0000_0000L) == MAPPED_LOW;
    }

    /**
     * Returns the first address of the network of {@code prefixLength} bits that contains this address, counted over
     * all 128 bits, so the result is meaningful for IPv6 addresses. A prefix length of 128 returns this address.
     *
     * @throws IllegalArgumentException when {@code prefixLength} is not from 0 to 128
     */
    public IpAddress ipv6Network(int prefixLength) {
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("invalid prefix length " + prefixLength + ": expected 0 to 128");
        }
        if (prefixLength == 128) {
            return this;
        }
        long highMask = -1L;
        long lowMask = 0;
        if (prefixLength == 0) {
            highMask = 0;
        } else if (prefixLength < 64) {
            highMask = -1L << (64 - prefixLength);
        } else if (prefixLength > 64) {
            lowMask = -1L << (128 - prefixLength);
        }
        return new IpAddress(high & highMask, low & lowMask);
    }

    /**
     * Returns the text under which this address is counted: an IPv4 address itself, and for IPv6 its network of
     * {@code ipv6PrefixLength} bits written with the length, such as {@code 2001:db8:1:2::/64}. A length of 128
     * returns the address itself.
     */
    public String networkText(int ipv6PrefixLength) {
        if (isIpv4() || ipv6PrefixLength == 128) {
            return toString();
        }
        return ipv6Network(ipv6PrefixLength) + "/" + ipv6PrefixLength;
    }

    long high() {
        return high;
    }

    long low() {
        return low;
    }

    /**
     * Returns the address in dotted decimal for IPv4 (IPv4-mapped addresses included) and in the RFC 5952 form for
     * IPv6: lower case, no leading zeros, the longest run of two or more zero groups written {@code ::}.
     */
    @Override
    public String toString() {
        String formatted = text;
        if (formatted == null) {
            formatted = isIpv4() ? formatIpv4(low) : formatIpv6(high, low);
            text = formatted;
        }
        return formatted;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IpAddress address && address.high == high && address.low == low;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(high) * 31 + Long.hashCode(low);
    }

    /** Returns the 32 bits of a dotted IPv4 address, or -1 when the text is not exactly four decimal parts. */
    static long parseIpv4(CharSequence text, int start, int end) {
        long value = 0;
        int parts = 0;
        int i = start;
        while (true) {
            int partStart = i;
            int part = 0;
            while (i < end && i - partStart < 4 && isDigit(text.charAt(i))) {
                part = part * 10 + text.charAt(i) - '0';
                i++;
            }
            int length = i - partStart;
            if (length == 0 || length > 3 || part > 255 || length > 1 && text.charAt(partStart) == '0') {
                return -1;
            }
            value = value << 8 | part;
            parts++;
            if (i == end) {
                return parts == 4 ? value : -1;
            }
            if (parts == 4 || text.charAt(i) != '.') {
                return -1;
            }
            i++;
        }
    }

    /**
     * Parses the groups before and after {@code ::} into two 128-bit accumulators, then shifts the first into
     * place, so that no array is allocated.
     */
    private static IpAddress parseIpv6(CharSequence text, int start, int end) {
        long headHigh = 0;
        long headLow = 0;
        long tailHigh = 0;
        long tailLow = 0;
        int headGroups = 0;
        int tailGroups = 0;
        boolean compressed = false;
        int i = start;

        if (text.charAt(i) == ':') {
            if (text.charAt(i + 1) != ':') {
                return null;
            }
            compressed = true;
            i += 2;
        }

        while (i < end) {
            int groupStart = i;
            int group = 0;
            while (i < end && i - groupStart < 5 && hexValue(text.charAt(i)) >= 0) {
                group = group << 4 | hexValue(text.charAt(i));
                i++;
            }
            int groups;
            long value;
            if (i < end && text.charAt(i) == '.') {
                // A dotted IPv4 address may end an IPv6 address and stands for its last two groups.
                long ipv4 = parseIpv4(text, groupStart, end);
                if (ipv4 < 0) {
                    return null;
                }
                groups = 2;
                value = ipv4;
                i = end;
            } else {
                int length = i - groupStart;
                if (length == 0 || length > 4) {
                    return null;
                }
                groups = 1;
                value = group;
            }

            int shift = 16 * groups;
            if (compressed) {
                tailHigh = tailHigh << shift | tailLow >>> (64 - shift);
                tailLow = tailLow << shift | value;
                tailGroups += groups;
            } else {
                headHigh = headHigh << shift | headLow >>> (64 - shift);
                headLow = headLow << shift | value;
                headGroups += groups;
            }
            if (headGroups + tailGroups > 8) {
                return null;
            }

            if (i == end) {
                break;
            }
            if (text.charAt(i) != ':' || i + 1 == end) {
                return null;
            }
            i++;
            if (text.charAt(i) == ':') {
                if (compressed) {
                    return null;
                }
                compressed = true;
                i++;
            }
        }

        if (!compressed) {
            return headGroups == 8 ? new IpAddress(headHigh, headLow) : null;
        }
        if (headGroups + tailGroups > 7) {
            return null;
        }
        return join(headHigh, headLow, headGroups, tailHigh, tailLow);
    }

    /** Returns the address that starts with the {@code headGroups} groups of head and ends with those of tail. */
    private static IpAddress join(long headHigh, long headLow, int headGroups, long tailHigh, long tailLow) {
        if (headGroups == 0) {
            return new IpAddress(tailHigh, tailLow);
        }
        int shift = 16 * (8 - headGroups);
        long high;
        long low;
        if (shift >= 64) {
            high = headLow << (shift - 64);
            low = 0;
        } else {
            high = headHigh << shift | headLow >>> (64 - shift);
            low = headLow << shift;
        }
        return new IpAddress(high | tailHigh, low | tailLow);
    }

    private static String formatIpv4(long low) {
        return ((low >>> 24) & 0xff) + "." + ((low >>> 16) & 0xff) + "." + ((low >>> 8) & 0xff) + "." + (low & 0xff);
    }

    private static String formatIpv6(long high, long low) {
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) (high >>> (48 - 16 * i)) & 0xffff;
            groups[4 + i] = (int) (low >>> (48 - 16 * i)) & 0xffff;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int length = 0;
            while (i + length < 8 && groups[i + length] == 0) {
                length++;
            }
            if (length > bestLength) {
                bestStart = i;
                bestLength = length;
            }
            i += length;
        }
        StringBuilder out = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
