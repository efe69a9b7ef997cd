package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.net.AddressRules.Kind;
import java.net.InetAddress;
import java.net.UnknownHostException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Classification of addresses for SSRF protection. The addresses are only strings here: nothing connects to them. */
class AddressRulesTest {

    @ParameterizedTest
    @CsvSource({
        "127.0.0.1, LOOPBACK", "127.255.0.9, LOOPBACK", "::1, LOOPBACK",
        "10.0.0.1, PRIVATE", "172.16.0.1, PRIVATE", "172.31.255.255, PRIVATE", "192.168.1.1, PRIVATE",
        "100.64.0.1, PRIVATE", "fc00::1, PRIVATE", "fd12:3456::1, PRIVATE", "fec0::1, PRIVATE",
        "64:ff9b:1::a00:1, PRIVATE",
        "169.254.0.1, LINK_LOCAL", "fe80::1, LINK_LOCAL", "febf::1, LINK_LOCAL",
        "169.254.169.254, METADATA", "169.254.170.2, METADATA", "100.100.100.200, METADATA",
        "fd00:ec2::254, METADATA",
        "0.0.0.0, UNSPECIFIED", "0.1.2.3, UNSPECIFIED", "::, UNSPECIFIED",
        "224.0.0.1, MULTICAST", "239.255.255.250, MULTICAST", "ff02::1, MULTICAST",
        "240.0.0.1, RESERVED", "255.255.255.255, RESERVED", "192.0.2.1, RESERVED", "198.51.100.7, RESERVED",
        "203.0.113.9, RESERVED", "198.18.0.1, RESERVED", "192.0.0.8, RESERVED", "2001:db8::1, RESERVED",
        "100::1, RESERVED", "2001::1, RESERVED", "2001:10::1, RESERVED", "2001:20::1, RESERVED",
        "8.8.8.8, PUBLIC", "172.32.0.1, PUBLIC", "100.128.0.1, PUBLIC", "169.255.0.1, PUBLIC",
        "2606:4700::1111, PUBLIC", "2a00:1450::1, PUBLIC",
    })
    void classifiesRanges(String address, Kind expected) throws UnknownHostException {
        assertThat(AddressRules.classify(InetAddress.getByName(address))).as(address).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
        "::ffff:127.0.0.1, LOOPBACK", "::ffff:169.254.169.254, METADATA", "::ffff:0:a9fe:a9fe, METADATA",
        "::127.0.0.1, LOOPBACK", "::10.0.0.1, PRIVATE", "64:ff9b::7f00:1, LOOPBACK",
        "64:ff9b::a9fe:a9fe, METADATA", "2002:a9fe:a9fe::, METADATA", "2002:7f00:1::1, LOOPBACK",
        "2002:c0a8:101::, PRIVATE", "64:ff9b::808:808, PUBLIC", "2002:808:808::1, PUBLIC",
    })
    void classifiesEmbeddedIpv4(String address, Kind expected) throws UnknownHostException {
        assertThat(AddressRules.classify(InetAddress.getByName(address))).as(address).isEqualTo(expected);
    }

    @Test
    void classifiesLiteralsWithoutResolving() {
        assertThat(AddressRules.classifyLiteral("127.0.0.1")).isEqualTo(Kind.LOOPBACK);
        assertThat(AddressRules.classifyLiteral("[::1]")).isEqualTo(Kind.LOOPBACK);
        assertThat(AddressRules.classifyLiteral("8.8.8.8")).isEqualTo(Kind.PUBLIC);
        assertThat(AddressRules.classifyLiteral("localhost")).isNull();
        assertThat(AddressRules.classifyLiteral("metadata.google.internal")).isNull();
        assertThat(AddressRules.classifyLiteral("1.2.3")).isNull();
        assertThat(AddressRules.classifyLiteral("256.1.1.1")).isNull();
        assertThat(AddressRules.classifyLiteral("")).isNull();
    }

    @Property
    void mappedFormHasKindOfItsIpv4Address(@ForAll byte a, @ForAll byte b, @ForAll byte c, @ForAll byte d)
            throws UnknownHostException {
        InetAddress v4 = InetAddress.getByAddress(new byte[] {a, b, c, d});
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, a, b, c, d};
        byte[] nat64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d};
        byte[] sixToFour = {0x20, 0x02, a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

        Kind expected = AddressRules.classify(v4);

        assertThat(AddressRules.classify(InetAddress.getByAddress(mapped))).isEqualTo(expected);
        assertThat(AddressRules.classify(InetAddress.getByAddress(nat64))).isEqualTo(expected);
        assertThat(AddressRules.classify(InetAddress.getByAddress(sixToFour))).isEqualTo(expected);
    }

    @Property
    void privateIpv4RangesAreNeverPublic(@ForAll @IntRange(max = 0xffffff) int host) throws UnknownHostException {
        byte b = (byte) (host >> 16);
        byte c = (byte) (host >> 8);
        byte d = (byte) host;

        assertThat(AddressRules.isPublic(InetAddress.getByAddress(new byte[] {10, b, c, d}))).isFalse();
        assertThat(AddressRules.isPublic(InetAddress.getByAddress(new byte[] {127, b, c, d}))).isFalse();
        assertThat(AddressRules.isPublic(InetAddress.getByAddress(new byte[] {(byte) 169, (byte) 254, c, d})))
                .isFalse();
        assertThat(AddressRules.isPublic(InetAddress.getByAddress(new byte[] {(byte) 192, (byte) 168, c, d})))
                .isFalse();
    }
}
