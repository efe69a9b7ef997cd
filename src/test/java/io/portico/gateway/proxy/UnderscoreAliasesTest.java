package io.portico.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class UnderscoreAliasesTest {

    private static final UnderscoreAliases ALIASES = UnderscoreAliases.of("X-Trace-Id",
            new IdentityHeaders("X-Consumer-Name", "X-Consumer-Team", "X-Credential-Name", "X-Authenticated-Method",
                    Map.of("tier", "X-Consumer-Tier")));

    @Test
    void identityHeaderAliasesMatchInAnyCase() {
        assertThat(ALIASES.matches("X_Consumer_Name")).isTrue();
        assertThat(ALIASES.matches("x_consumer-team")).isTrue();
        assertThat(ALIASES.matches("X_CREDENTIAL_NAME")).isTrue();
        assertThat(ALIASES.matches("x-authenticated_method")).isTrue();
        assertThat(ALIASES.matches("X_Consumer_Tier")).isTrue();
    }

    @Test
    void forwardingAndRequestIdAliasesMatch() {
        assertThat(ALIASES.matches("X_Forwarded_For")).isTrue();
        assertThat(ALIASES.matches("x_forwarded_proto")).isTrue();
        assertThat(ALIASES.matches("X_Forwarded_Host")).isTrue();
        assertThat(ALIASES.matches("X_Forwarded_Port")).isTrue();
        assertThat(ALIASES.matches("X_Trace_Id")).isTrue();
    }

    @Test
    void otherNamesDoNotMatch() {
        assertThat(ALIASES.matches("X-Consumer-Name")).isFalse();
        assertThat(ALIASES.matches("x-forwarded-for")).isFalse();
        assertThat(ALIASES.matches("X_Consumer_Names")).isFalse();
        assertThat(ALIASES.matches("X_Request_Id")).isFalse();
        assertThat(ALIASES.matches("_")).isFalse();
    }

    @Test
    void hyphenSpellingOfUnderscoreSettingMatches() {
        UnderscoreAliases aliases = UnderscoreAliases.of("X_Trace_Id", new IdentityHeaders("X-Consumer-Name",
                "X-Consumer-Team", "X-Credential-Name", "X-Authenticated-Method", Map.of("region", "X_Region")));

        assertThat(aliases.matches("X-Region")).isTrue();
        assertThat(aliases.matches("x-trace-id")).isTrue();
        assertThat(aliases.matches("X_Consumer-Name")).isTrue();
        assertThat(aliases.matches("X-Regions")).isFalse();
    }
}
