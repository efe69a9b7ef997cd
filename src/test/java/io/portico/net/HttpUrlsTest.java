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
        assertThat(HttpUrls.isHttp(HttpUrls.parse("http://a.1./"))).isFalse();
        assertThat(HttpUrls.isHttp(HttpUrls.parse("http://1.2.3.4../"))).isFalse();
        assertThat(HttpUrls.isHttp(HttpUrls.parse("ftp://idp.example/"))).isFalse();
        assertThat(HttpUrls.isHttp(HttpUrls.parse("/relative"))).isFalse();
        assertThatThrownBy(() -> HttpUrls.parse("http://bad host/")).isInstanceOf(URISyntaxException.class);
    }
}
