package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.ConsumerSpec.AccessList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Matching of consumers' allow and deny lists. */
class AccessListTest {

    private static AccessList list(List<String> allow, List<String> deny) {
        return new AccessList(allow, deny);
    }

    @Test
    void emptyListAllowsEverything() {
        assertThat(AccessList.ANY.allows("anything")).isTrue();
        assertThat(AccessList.ANY.isUnrestricted()).isTrue();
    }

    @Test
    void exactNameMatchesItselfOnly() {
        AccessList list = list(List.of("orders"), null);

        assertThat(list.allows("orders")).isTrue();
        assertThat(list.allows("orders-admin")).isFalse();
        assertThat(list.allows("order")).isFalse();
    }

    @Test
    void trailingStarMatchesPrefix() {
        AccessList list = list(List.of("openai/*"), null);

        assertThat(list.allows("openai/gpt-4o")).isTrue();
        assertThat(list.allows("openai/")).isTrue();
        assertThat(list.allows("openai")).isFalse();
        assertThat(list.allows("azure/gpt-4o")).isFalse();
    }

    @Test
    void denyWinsOverAllow() {
        AccessList list = list(List.of("*"), List.of("openai/gpt-4o"));

        assertThat(list.allows("openai/gpt-4o")).isFalse();
        assertThat(list.denies("openai/gpt-4o")).isTrue();
        assertThat(list.allows("openai/gpt-4o-mini")).isTrue();
    }

    @Test
    void denyOnlyListAllowsTheRest() {
        AccessList list = list(null, List.of("admin-*"));

        assertThat(list.allows("orders")).isTrue();
        assertThat(list.allows("admin-users")).isFalse();
        assertThat(list.inAllowList("admin-users")).isTrue();
    }

    @Test
    void patternsAreCaseSensitive() {
        assertThat(list(List.of("Orders"), null).allows("orders")).isFalse();
    }

    @Test
    void innerStarIsInvalid() {
        Errors errors = new Errors();

        FieldRules.check(list(List.of("open*/gpt", "ok-*", " "), List.of("*")), errors);

        assertThat(errors.list()).extracting(FieldError::field).containsExactly("allow[0]", "allow[2]");
    }
}
