package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The address check of outbound calls, with a stub lookup in place of DNS. Nothing here opens a connection, so the
 * private and metadata addresses below are never contacted.
 */
class PublicAddressResolverTest {

    /** Host names and what the stub lookup resolves them to. */
    private static final Map<String, List<String>> ANSWERS = Map.of(
            "loopback.test", List.of("127.0.0.1"),
            "private.test", List.of("10.1.2.3"),
            "link-local.test", List.of("169.254.10.20"),
            "metadata.test", List.of("169.254.169.254"),
            "unique-local.test", List.of("fd12:3456::1"),
            "mixed.test", List.of("93.184.215.14", "192.168.1.10"),
            "public.test", List.of("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"));

    private static final PublicAddressResolver STUB = new PublicAddressResolver(host -> {
        List<String> answer = ANSWERS.get(host);
        if (answer == null) {
            throw new UnknownHostException(host);
        }
        InetAddress[] addresses = new InetAddress[answer.size()];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = InetAddress.getByAddress(host, InetAddress.getByName(answer.get(i)).getAddress());
        }
        return addresses;
    });

    @Test
    void namesOfNonPublicAddressesAreRejected() {
        Map<String, String> expected = Map.of(
                "loopback.test", "loopback.test resolves to the loopback address 127.0.0.1",
                "private.test", "private.test resolves to the private address 10.1.2.3",
                "link-local.test", "link-local.test resolves to the link-local address 169.254.10.20",
                "metadata.test", "metadata.test resolves to the cloud metadata address 169.254.169.254",
                "unique-local.test", "unique-local.test resolves to the private address fd12:3456:0:0:0:0:0:1",
                "mixed.test", "mixed.test resolves to the private address 192.168.1.10");

        expected.forEach((host, message) -> assertThatThrownBy(() -> STUB.resolve(host)).as(host)
                .isInstanceOf(PublicAddressResolver.NonPublicAddressException.class)
                .hasMessage(message));
    }

    @Test
    void literalsAreCheckedWithoutLookup() {
        for (String literal : List.of("127.0.0.1", "[::1]", "10.0.0.1", "169.254.169.254", "[fd00:ec2::254]",
                "[::ffff:127.0.0.1]", "0.0.0.0")) {
            assertThatThrownBy(() -> PublicAddressResolver.SYSTEM.resolve(literal)).as(literal)
                    .isInstanceOf(PublicAddressResolver.NonPublicAddressException.class);
        }
    }

    @Test
    void publicNameReturnsFirstAddress() throws Exception {
        InetAddress address = STUB.resolve("public.test");

        assertThat(address.getHostAddress()).isEqualTo("93.184.215.14");
    }

    @Test
    void unknownNameIsReported() {
        assertThatThrownBy(() -> STUB.resolve("missing.test")).isInstanceOf(UnknownHostException.class);
    }
}
