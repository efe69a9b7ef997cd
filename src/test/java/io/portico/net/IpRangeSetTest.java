package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CIDR ranges and the sets that match addresses against them. */
class IpRangeSetTest {

    private static boolean contains(String address, String... ranges) {
        return IpRangeSet.parse(List.of(ranges)).contains(IpAddress.parse(address));
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.0.0.0, true",
        "10.0.0.0/8, 10.255.255.255, true",
        "10.0.0.0/8, 11.0.0.0, false",
        "10.0.0.0/8, 9.255.255.255, false",
        "192.0.2.7, 192.0.2.7, true",
        "192.0.2.7, 192.0.2.8, false",
        "192.0.2.7/32, 192.0.2.7, true",
        "0.0.0.0/0, 203.0.113.9, true",
        "0.0.0.0/0, 2001:db8::1, false",
        "10.0.0.0/8, ::ffff:10.1.2.3, true",
        "::ffff:10.0.0.0/104, 10.1.2.3, true",
        "::ffff:0:0/96, 198.51.100.1, true",
        "::/0, 198.51.100.1, false",
        "::/0, 2001:db8::1, true",
        "::/0, ::, true",
        "::/80, 198.51.100.1, false",
        "::/80, ::1, true",
        "::/80, ::fffe:ffff:ffff, true",
        "::/80, ::1:0:0:0, false",
        "2001:db8::/32, 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff, true",
        "2001:db8::/32, 2001:db9::, false",
        "2001:db8::/32, 2001:db7:ffff:ffff:ffff:ffff:ffff:ffff, false",
        "2001:db8:0:0:8000::/65, 2001:db8::8000:0:0:1, true",
        "2001:db8:0:0:8000::/65, 2001:db8::7fff:0:0:1, false",
        "::1, ::1, true",
        "::/128, ::1, false",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, true",
    })
    void matchesRange(String range, String address, boolean expected) {
        assertThat(contains(address, range)).as("%s in %s", address, range).isEqualTo(expected);
    }

    @Test
    void mergesOverlappingAndAdjacentRanges() {
        IpRangeSet set = IpRangeSet.parse(List.of("10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "192.0.2.0/24",
                "2001:db8::/33", "2001:db8:8000::/33", "::/0"));

        // 10.0.0.0/8, 192.0.2.0/24, and ::/0 in two parts around the IPv4-mapped block it leaves out.
        assertThat(set.intervals()).isEqualTo(4);
        assertThat(set.contains(IpAddress.parse("10.200.0.1"))).isTrue();
        assertThat(set.contains(IpAddress.parse("192.0.2.255"))).isTrue();
        assertThat(set.contains(IpAddress.parse("192.0.3.0"))).isFalse();
        assertThat(set.contains(IpAddress.parse("2001:db8:ffff::1"))).isTrue();
    }

    @Test
    void emptySetContainsNothing() {
        assertThat(IpRangeSet.empty().contains(IpAddress.parse("127.0.0.1"))).isFalse();
        assertThat(IpRangeSet.parse(List.of()).isEmpty()).isTrue();
        assertThat(IpRangeSet.parse(List.of("0.0.0.0/0")).contains(null)).isFalse();
    }

    @Test
    void agreesWithLinearScanOverThousandsOfRanges() {
        Random random = new Random(7);
        List<String> texts = new ArrayList<>();
        List<IpRange> ranges = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            int prefix = 8 + random.nextInt(25);
            long network = random.nextInt() & 0xffff_ffffL & (0xffff_ffffL << (32 - prefix));
            String text = IpAddress.ipv4(network) + "/" + prefix;
            texts.add(text);
            ranges.add(IpRange.parse(text));
        }
        IpRangeSet set = IpRangeSet.parse(texts);

        for (int i = 0; i < 20_000; i++) {
            IpAddress address = IpAddress.ipv4(random.nextInt());
            boolean expected = ranges.stream().anyMatch(range -> within(address, range));
            assertThat(set.contains(address)).as("%s", address).isEqualTo(expected);
        }
    }

    private static boolean within(IpAddress address, IpRange range) {
        return Long.compareUnsigned(address.low(), range.first().low()) >= 0
                && Long.compareUnsigned(address.low(), range.last().low()) <= 0;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.0.0.1/8 | '10.0.0.1/8' has bits set after the /8 prefix; write the network address 10.0.0.0/8",
        "2001:db8::1/32 | write the network address 2001:db8::/32",
        "10.0.0.0/33 | '10.0.0.0/33' has an invalid prefix length: it must be a number from 0 to 32",
        "2001:db8::/129 | from 0 to 128",
        "10.0.0.0/ | invalid prefix length",
        "10.0.0.0/08 | invalid prefix length",
        "10.0.0.0/-1 | invalid prefix length",
        "10.0.0.300 | '10.0.0.300' is not an IPv4 or IPv6 address or CIDR range",
        "010.0.0.0/8 | IPv4 parts must not have leading zeros",
        "fe80::1%eth0 | zone ids such as %eth0 are not allowed",
        "[2001:db8::1] | write IPv6 addresses without brackets",
        "example.com | is not an IPv4 or IPv6 address",
    })
    void rejectsInvalidRange(String text, String message) {
        assertThatThrownBy(() -> IpRange.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.0.0.0/8",
        "192.0.2.7, 192.0.2.7",
        "2001:DB8:0::/32, 2001:db8::/32",
        "::ffff:10.0.0.0/104, ::ffff:10.0.0.0/104",
    })
    void formatsRangeCanonically(String text, String expected) {
        assertThat(IpRange.parse(text)).hasToString(expected);
    }
}
