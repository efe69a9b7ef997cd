package io.portico.policy.cors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Matching request origins against exact origins and patterns. */
class OriginsTest {

    private static final Origins ORIGINS = Origins.of(List.of("https://app.example.com",
            "HTTPS://Admin.Example.com:443", "http://app.example.com:8080", "https://*.example.org",
            "http://localhost:*", "http://[::1]:*", "capacitor://localhost", "http://192.0.2.7"));

    @ParameterizedTest
    @CsvSource({
        "https://app.example.com, true",
        "https://APP.example.com, true",
        "https://admin.example.com, true",
        "http://app.example.com, false",
        "http://app.example.com:8080, true",
        "http://app.example.com:8081, false",
        "https://app.example.com:443, false",
        "https://app.example.com/, false",
        "https://app.example.com.evil.test, false",
        "https://evilapp.example.com, false",
        "https://a.example.org, true",
        "https://a.b.example.org, true",
        "https://a-b.example.org, true",
        "https://example.org, false",
        "https://.example.org, false",
        "https://a..example.org, false",
        "https://evilexample.org, false",
        "https://a.example.org.evil.test, false",
        "https://a.example.org:8443, false",
        "https://a_b.example.org, false",
        "https://a/b.example.org, false",
        "http://a.example.org, false",
        "http://localhost, true",
        "http://localhost:5173, true",
        "http://localhost:99999, false",
        "http://localhost:, false",
        "http://localhost:80x, false",
        "http://localhost.evil.test, false",
        "https://localhost:5173, false",
        "http://[::1]:3000, true",
        "capacitor://localhost, true",
        "http://192.0.2.7, true",
        "null, false",
        "'', false",
        "https://, false",
    })
    void matchesOrigin(String origin, boolean expected) {
        assertThat(ORIGINS.allows(origin)).as(origin).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "null | 'null' cannot be allowed",
        "app.example.com | it must have the form scheme://host",
        "https://app.example.com/ | remove the trailing '/'",
        "https://app.example.com/path | without user, path, query or fragment",
        "https://user@app.example.com | without user, path, query or fragment",
        "https://*.com | at least two labels",
        "https://*.*.example.com | '*' may only stand for the first labels",
        "https://app*.example.com | '*' may only stand for the first labels",
        "https://*example.com | '*' may only stand for the first labels",
        "*://app.example.com | the scheme must be a letter",
        "https://app.example.com:0 | the port must be a number from 1 to 65535",
        "https://app.example.com:65536 | the port must be a number from 1 to 65535",
        "https://app.example.com:x | the port must be a number from 1 to 65535",
        "https://bücher.example | ASCII form (xn--...)",
        "https://app..example.com | the host must be a domain name or an IP address",
        "https:// | the host is missing",
        "https://:8080 | the host must be a domain name or an IP address",
    })
    void rejectsInvalidEntry(String entry, String message) {
        assertThatThrownBy(() -> Origins.check(entry)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
