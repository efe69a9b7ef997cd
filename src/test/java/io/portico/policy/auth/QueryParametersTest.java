package io.portico.policy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Removing a query parameter keeps every other parameter exactly as sent. */
class QueryParametersTest {

    @Test
    void removesEveryOccurrence() {
        assertThat(QueryParameters.remove("/a?key=1&b=%20x&key=2", "key")).isEqualTo("/a?b=%20x");
    }

    @Test
    void removesQuestionMarkWhenNothingIsLeft() {
        assertThat(QueryParameters.remove("/a?key=1", "key")).isEqualTo("/a");
    }

    @Test
    void matchesEncodedNames() {
        assertThat(QueryParameters.remove("/a?k%65y=1&keys=2", "key")).isEqualTo("/a?keys=2");
    }

    @Test
    void keepsUriWithoutQuery() {
        assertThat(QueryParameters.remove("/a/b", "key")).isEqualTo("/a/b");
    }

    @Test
    void keepsMalformedEscapes() {
        assertThat(QueryParameters.remove("/a?%zz=1&key", "key")).isEqualTo("/a?%zz=1");
    }
}
