package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** URLs as logs show them: without the parts where credentials travel. */
class UrlRedactionTest {

    @Test
    void forLogDropsQueryUserInfoAndFragment() {
        URI url = URI.create("https://user:pass@idp.example:8443/keys/jwks.json?access_token=abc#part");

        assertThat(UrlRedaction.forLog(url)).isEqualTo("https://idp.example:8443/keys/jwks.json");
    }

    @Test
    void forLogDropsPathParameters() {
        URI url = URI.create("http://127.0.0.1:9000/a;v=1/nothere;jsessionid=SECRET?q=1#f;x=2");

        assertThat(UrlRedaction.forLog(url)).isEqualTo("http://127.0.0.1:9000/a/nothere");
        assertThat(UrlRedaction.forLog("https://idp.example/;token=t/keys/")).isEqualTo("https://idp.example//keys/");
        assertThat(UrlRedaction.forLog("https://idp.example/keys;")).isEqualTo("https://idp.example/keys");
        assertThat(UrlRedaction.forLog("https://idp.example")).isEqualTo("https://idp.example");
    }

    @Test
    void forLogKeepsIpv6Brackets() {
        assertThat(UrlRedaction.forLog(URI.create("http://[::1]:9000/introspect?key=k"))).isEqualTo(
                "http://[::1]:9000/introspect");
    }

    @Test
    void forLogOfTextWithoutUrl() {
        assertThat(UrlRedaction.forLog("http://bad host/?token=t")).isEqualTo("(invalid URL)");
        assertThat(UrlRedaction.forLog("mailto:someone@example.com")).isEqualTo("mailto:...");
    }

    @Test
    void maskPasswordKeepsUser() {
        assertThat(UrlRedaction.maskPassword("redis://app:s3cret@a:6379,redis://app:other@b:6379"))
                .isEqualTo("redis://app:****@a:6379,redis://app:****@b:6379");
    }
}
