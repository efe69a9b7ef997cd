package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Parsing and formatting of IP address literals. */
class IpAddressTest {

    @ParameterizedTest
    @CsvSource({
        "0.0.0.0, 0.0.0.0",
        "192.0.2.1, 192.0.2.1",
        "255.255.255.255, 255.255.255.255",
        "::, ::",
        "::1, ::1",
        "0:0:0:0:0:0:0:1, ::1",
        "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
        "2001:0db8:0000:0000:0001:0000:0000:0001, 2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "2001:db8::, 2001:db8::",
        "fe80::1:2, fe80::1:2",
        "1:0:0:2:0:0:0:3, 1:0:0:2::3",
        "1:0:0:2:0:0:3:4, 1::2:0:0:3:4",
        "::ffff:192.0.2.1, 192.0.2.1",
        "::FFFF:c000:0201, 192.0.2.1",
        "64:ff9b::192.0.2.1, 64:ff9b::c000:201",
        "::192.0.2.1, ::c000:201",
    })
    void formatsCanonically(String text, String expected) {
        IpAddress address = IpAddress.parse(text);

        assertThat(address).as(text).isNotNull();
        assertThat(address.toString()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "1", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..3.4", "1.2.3.4.", ".1.2.3",
        "1.2.3.-4", "1.2.3.4 ", " 1.2.3.4", "0x1.2.3.4", "1.2.3.4/32", "localhost", "example.com",
        ":", ":::", "1:", ":1", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::1", "g::1",
        "1:2:3:4:5:6:7", "::1%eth0", "[::1]", "::1.2.3", "::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4",
        "::ffff:01.2.3.4", "1.2.3.4::", "::1:", "1:::2",
    })
    void rejectsMalformedLiterals(String text) {
        assertThat(IpAddress.parse(text)).as(text).isNull();
    }

    @Test
    void ipv4EqualsItsMappedForm() {
        IpAddress ipv4 = IpAddress.parse("198.51.100.7");
        IpAddress mapped = IpAddress.parse("::ffff:198.51.100.7");

        assertThat(mapped).isEqualTo(ipv4);
        assertThat(mapped.hashCode()).isEqualTo(ipv4.hashCode());
        assertThat(mapped.isIpv4()).isTrue();
        assertThat(IpAddress.parse("2001:db8::1").isIpv4()).isFalse();
        assertThat(IpAddress.parse("::198.51.100.7").isIpv4()).isFalse();
    }

    @Test
    void parsesPartOfText() {
        String header = "for=\"[2001:db8::17]:4711\"";

        assertThat(IpAddress.parse(header, 6, 18)).hasToString("2001:db8::17");
        assertThat(IpAddress.parse(header, 5, 18)).isNull();
        assertThat(IpAddress.parse(header, 6, 19)).isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "2001:db8:1:2:3:4:5:6, 64, 2001:db8:1:2::",
        "2001:db8:1:2:3:4:5:6, 128, 2001:db8:1:2:3:4:5:6",
        "2001:db8:1:2:3:4:5:6, 127, 2001:db8:1:2:3:4:5:6",
        "2001:db8:1:2:3:4:5:7, 127, 2001:db8:1:2:3:4:5:6",
        "2001:db8:1:2:ffff:4:5:6, 65, 2001:db8:1:2:8000::",
        "2001:db8:1:2:3:4:5:6, 63, 2001:db8:1:2::",
        "2001:db8:1:3:3:4:5:6, 63, 2001:db8:1:2::",
        "2001:db8:1:2:3:4:5:6, 48, 2001:db8:1::",
        "ffff:db8:1:2:3:4:5:6, 1, 8000::",
        "ffff:db8:1:2:3:4:5:6, 0, ::",
        "::1, 64, ::",
    })
    void ipv6NetworkClearsBitsAfterPrefix(String address, int prefixLength, String expected) {
        IpAddress network = IpAddress.parse(address).ipv6Network(prefixLength);

        assertThat(network).hasToString(expected);
    }

    @Test
    void ipv6NetworkRejectsPrefixOutOfRange() {
        IpAddress address = IpAddress.parse("2001:db8::1");

        assertThatThrownBy(() -> address.ipv6Network(129)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("129");
        assertThatThrownBy(() -> address.ipv6Network(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullIsNotAnAddress() {
        assertThat(IpAddress.parse(null)).isNull();
    }
}
