package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.URISyntaxException;
import org.junit.jupiter.api.Test;

class HttpUrlsTest {

    @Test
    void upperCaseSchemeIsLowerCased() throws Exception {
        URI uri = HttpUrls.parse("HTTPS://idp.example/keys?a=B");

        assertThat(uri.toString()).isEqualTo("https://idp.example/keys?a=B");
        assertThat(HttpUrls.isHttp(uri)).isTrue();
        assertThat(HttpUrls.isHttp(HttpUrls.parse("Http://idp.example/"))).isTrue();
    }

    @Test
    void ipv4HostLosesTrailingDot() throws Exception {
        URI uri = HttpUrls.parse("http://127.0.0.1.:8080/a%2Fb;p=1?q=%20#f");

        assertThat(uri.getHost()).isEqualTo("127.0.0.1");
        assertThat(uri.getPort()).isEqualTo(8080);
        assertThat(uri.getRawPath()).isEqualTo("/a%2Fb;p=1");
        assertThat(uri.getRawQuery()).isEqualTo("q=%20");
        assertThat(uri.getRawFragment()).isEqualTo("f");
        assertThat(HttpUrls.parse("HTTP://user@10.1.2.3./").toString()).isEqualTo("http://user@10.1.2.3/");
        assertThat(HttpUrls.parse("http://192.168.0.1.").getHost()).isEqualTo("192.168.0.1");
    }

    @Test
    void nameHostKeepsTrailingDot() throws Exception {
        assertThat(HttpUrls.parse("http://idp.example.:80/").getHost()).isEqualTo("idp.example.");
    }

    @Test
    void otherHostlessUrlsStayHostless() throws Exception {
        assertThat(HttpUrls.isHttp(HttpUrls.parse("http://1.2.3.4../"))).isFalse();
        assertThat(HttpUrls.isHttp(HttpUrls.parse("ftp://idp.example/"))).isFalse();
        assertThat(HttpUrls.isHttp(HttpUrls.parse("/relative"))).isFalse();
        assertThatThrownBy(() -> HttpUrls.parse("http://bad host/")).isInstanceOf(URISyntaxException.class);
    }

    @Test
    void ambiguousIpv4HostsAreRejected() {
        for (String host : new String[] {"0177.0.0.1", "0x7f000001", "0X7F000001", "2130706433", "127.0.0.01",
            "0x7f.0.0.1", "127.1", "1.2.3.4.5", "256.1.1.1", "0177.0.0.1.", "a.0x10", "a.09", "a.1.",
            "user@0177.0.0.1"}) {
            assertThatThrownBy(() -> HttpUrls.parse("http://" + host + ":9/p")).as(host)
                    .isInstanceOf(URISyntaxException.class)
                    .hasMessageContaining("is an ambiguous IPv4 address form");
        }
    }

    @Test
    void plainIpv4AndNameHostsAreNotAmbiguous() throws Exception {
        for (String host : new String[] {"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.0.0.5", "1e2.com",
            "0x7f.example", "idp.example", "[::1]", "[::ffff:127.0.0.1]", "localhost"}) {
            assertThat(HttpUrls.isAmbiguousIpv4(host)).as(host).isFalse();
        }
        assertThat(HttpUrls.parse("http://127.0.0.1.:9/").getHost()).isEqualTo("127.0.0.1");
    }
}
