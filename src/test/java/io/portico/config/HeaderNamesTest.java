package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderNamesTest {

    /** The tchar set of RFC 9110 section 5.6.2, written out. */
    private static final String TCHARS = "!#$%&'*+-.^_`|~0123456789"
            + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    @Test
    void tokenAcceptsEveryTchar() {
        for (char c : TCHARS.toCharArray()) {
            assertThat(HeaderNames.isToken(String.valueOf(c))).as("character %s", c).isTrue();
        }
        assertThat(HeaderNames.isToken("X-Request-Id")).isTrue();
    }

    @Test
    void tokenRejectsEveryOtherCharacter() {
        for (char c = 0; c < 256; c++) {
            if (TCHARS.indexOf(c) < 0) {
                assertThat(HeaderNames.isToken("x" + c)).as("character U+%04X", (int) c).isFalse();
            }
        }
        assertThat(HeaderNames.isToken("x\u0130")).isFalse();
    }

    @Test
    void tokenRejectsEmptyAndNull() {
        assertThat(HeaderNames.isToken("")).isFalse();
        assertThat(HeaderNames.isToken(null)).isFalse();
    }

    @Test
    void underscoreSpellingsAreRejected() {
        for (String name : new String[] {"X_Forwarded_For", "x_forwarded-host", "Proxy_Authorization", "Content_Length",
            "Transfer_Encoding", "HTTP2_Settings", "Keep_Alive"}) {
            assertThat(HeaderNames.requestOperationProblem(name)).as(name).isNotNull();
            assertThat(HeaderNames.isSetByPortico(name)).as(name).isTrue();
        }
        assertThat(HeaderNames.responseOperationProblem("content_length")).isNotNull();
        assertThat(HeaderNames.canonical("X_Consumer-NAME")).isEqualTo("x-consumer-name");
    }

    @Test
    void expectIsRejectedOnRequestsOnly() {
        assertThat(HeaderNames.requestOperationProblem("Expect")).contains("never reaches the upstream");
        assertThat(HeaderNames.responseOperationProblem("Expect")).isNull();
    }

    @Test
    void credentialNamesAreRecognised() {
        for (String name : List.of("Authorization", "proxy-authorization", "COOKIE", "X-Api-Key", "Api-Key",
                "x_api_key", "X-Auth-Token", "Token", "apikey", "X-ApiKey", "X-Goog-Api-Key", "X-Client-Secret",
                "X-Db-Password", "PRIVATE-TOKEN")) {
            assertThat(HeaderNames.isCredential(name)).as(name).isTrue();
        }
    }

    @Test
    void otherNamesAreNoCredentials() {
        for (String name : List.of("X-Trace", "Accept", "OpenAI-Project", "Set-Cookie", "X-Keyboard", "Tokens",
                "X-Key-Id", "Monkey", "X-Passwords-Policy")) {
            assertThat(HeaderNames.isCredential(name)).as(name).isFalse();
        }
    }

    @Test
    void otherNamesAreAllowed() {
        assertThat(HeaderNames.requestOperationProblem("X-Forwarded-Prefix")).isNull();
        assertThat(HeaderNames.requestOperationProblem("X_Route")).isNull();
        assertThat(HeaderNames.isFraming("X_Route")).isFalse();
    }
}
