package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.net.IpAddress;
import io.portico.net.IpRangeSet;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading the client address from forwarding headers written by trusted proxies. */
class ClientAddressResolverTest {

    private static final IpRangeSet TRUSTED = IpRangeSet.parse(List.of("10.0.0.0/8", "fd00::/8"));
    private static final ClientAddressResolver X_FORWARDED_FOR = new ClientAddressResolver(TRUSTED, false);
    private static final ClientAddressResolver FORWARDED = new ClientAddressResolver(TRUSTED, true);

    /** Returns the hops as text, client first, for a request from {@code peer} with header lines {@code values}. */
    private static List<String> hops(ClientAddressResolver resolver, String peer, String... values) {
        return resolver.resolve(IpAddress.parse(peer), Arrays.asList(values)).stream().map(IpAddress::toString)
                .toList();
    }

    private static String client(ClientAddressResolver resolver, String peer, String... values) {
        return hops(resolver, peer, values).get(0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "203.0.113.7 | 203.0.113.7",
        "198.51.100.1, 203.0.113.7 | 203.0.113.7",
        "198.51.100.1, 203.0.113.7, 10.0.0.3 | 203.0.113.7",
        "203.0.113.7,10.0.0.3,10.0.0.2 | 203.0.113.7",
        "10.0.0.4, 10.0.0.3 | 10.0.0.4",
        "2001:db8::7 | 2001:db8::7",
        "2001:DB8:0:0:0:0:0:7, fd00::3 | 2001:db8::7",
        "[2001:db8::7]:4711 | 2001:db8::7",
        "203.0.113.7:51234 | 203.0.113.7",
        "::ffff:203.0.113.7 | 203.0.113.7",
        "garbage, \"quote, 203.0.113.7 | 203.0.113.7",
        "203.0.113.7, , 10.0.0.3, | 203.0.113.7",
        "203.0.113.7, garbage | 10.0.0.1",
        "203.0.113.7, 010.0.0.3 | 10.0.0.1",
        "203.0.113.7, fe80::1%eth0 | 10.0.0.1",
        "203.0.113.7, unknown, 10.0.0.3 | 10.0.0.3",
        "' ' | 10.0.0.1",
    })
    void readsXForwardedForFromTheRight(String header, String expected) {
        assertThat(client(X_FORWARDED_FOR, "10.0.0.1", header)).isEqualTo(expected);
    }

    @Test
    void keepsTheVerifiedChainInForwardingOrder() {
        assertThat(hops(X_FORWARDED_FOR, "10.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.3"))
                .containsExactly("203.0.113.7", "10.0.0.3", "10.0.0.1");
        assertThat(hops(X_FORWARDED_FOR, "10.0.0.1", "10.0.0.4, 10.0.0.3"))
                .containsExactly("10.0.0.4", "10.0.0.3", "10.0.0.1");
        assertThat(hops(X_FORWARDED_FOR, "10.0.0.1", "203.0.113.7, garbage")).containsExactly("10.0.0.1");
    }

    @Test
    void readsHeaderLinesFromTheLast() {
        assertThat(client(X_FORWARDED_FOR, "10.0.0.1", "198.51.100.1", "203.0.113.7, 10.0.0.3"))
                .isEqualTo("203.0.113.7");
        assertThat(client(X_FORWARDED_FOR, "10.0.0.1", "198.51.100.1", "10.0.0.3")).isEqualTo("198.51.100.1");
    }

    @Test
    void trustedPeerWithoutHeaderIsTheClient() {
        assertThat(hops(X_FORWARDED_FOR, "10.0.0.1")).containsExactly("10.0.0.1");
        assertThat(hops(FORWARDED, "fd00::1")).containsExactly("fd00::1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "for=203.0.113.7 | 203.0.113.7",
        "For=203.0.113.7;proto=https;by=10.0.0.1 | 203.0.113.7",
        "for=198.51.100.1, for=203.0.113.7;proto=https, for=10.0.0.3 | 203.0.113.7",
        "for=\"[2001:db8:cafe::17]:4711\" | 2001:db8:cafe::17",
        "for=\"[2001:db8:cafe::17]\";proto=http | 2001:db8:cafe::17",
        "for=\"203.0.113.7:47011\" | 203.0.113.7",
        "for=\"203.0.113.7:_port\" | 203.0.113.7",
        "for=\"_gazonk\" | 10.0.0.1",
        "for=198.51.100.1, for=_hidden, for=10.0.0.3 | 10.0.0.3",
        "for=unknown | 10.0.0.1",
        "for=UNKNOWN, for=10.0.0.3 | 10.0.0.3",
        "proto=https | 10.0.0.1",
        "for=203.0.113.7;;proto=http | 203.0.113.7",
        "for=203.0.113.7 ; proto=http | 203.0.113.7",
        "for=\"x,y\";by=\"a\\\"b\", for=203.0.113.7 | 203.0.113.7",
        "garbage\"\", for=203.0.113.7 | 203.0.113.7",
        "for=\"unterminated, for=203.0.113.7 | 203.0.113.7",
        "for=203.0.113.7, for=\"unterminated | 10.0.0.1",
        "for=203.0.113.7;for=198.51.100.1 | 10.0.0.1",
        "for=[2001:db8::1] | 10.0.0.1",
        "for=203.0.113.7:80 | 10.0.0.1",
        "for=203.0.113.7 proto=http | 10.0.0.1",
        "for=\"\" | 10.0.0.1",
        "for=\"[203.0.113.7]\" | 10.0.0.1",
        "for=\"[2001:db8::1]x\" | 10.0.0.1",
        "for=\"_bad!\" | 10.0.0.1",
        "=203.0.113.7 | 10.0.0.1",
    })
    void readsForwardedFromTheRight(String header, String expected) {
        assertThat(client(FORWARDED, "10.0.0.1", header)).isEqualTo(expected);
    }

    @Test
    void forwardedModeIgnoresXForwardedFor() {
        assertThat(client(FORWARDED, "10.0.0.1", "203.0.113.7")).isEqualTo("10.0.0.1");
    }
}
