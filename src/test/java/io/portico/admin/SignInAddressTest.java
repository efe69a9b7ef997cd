package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The client address under which the admin API counts failed sign-ins. */
class SignInAddressTest {

    @Test
    void ipv6AddressesCountByNetwork() {
        assertThat(AuthenticationHandler.throttleAddress("2001:db8:1:2::5")).isEqualTo("2001:db8:1:2::/64");
        assertThat(AuthenticationHandler.throttleAddress("2001:db8:1:2:ffff:ffff:ffff:1"))
                .isEqualTo("2001:db8:1:2::/64");
        assertThat(AuthenticationHandler.throttleAddress("2001:db8:1:3::5")).isEqualTo("2001:db8:1:3::/64");
    }

    @Test
    void ipv4AddressesCountAlone() {
        assertThat(AuthenticationHandler.throttleAddress("192.0.2.1")).isEqualTo("192.0.2.1");
        assertThat(AuthenticationHandler.throttleAddress("::ffff:192.0.2.1")).isEqualTo("192.0.2.1");
    }

    @Test
    void missingAddressIsUnknown() {
        assertThat(AuthenticationHandler.throttleAddress(null)).isEqualTo("unknown");
    }
}
