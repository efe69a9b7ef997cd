package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The credential headers of header maps as secret fields: which values they mask and which paths they cover. */
class SecretFieldsTest {

    @Test
    void maskHidesOnlyCredentialHeaders() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "orders").put("service", "app");
        ObjectNode operations = route.putObject("requestHeaders");
        operations.putObject("set").put("Authorization", "Bearer abc").put("X-Trace", "t1")
                .put("x_auth_token", "tok");
        operations.putObject("add").put("Cookie", "session=1");
        route.putObject("responseHeaders").putObject("set").put("X-Api-Key", "shown-to-clients");
        route.putObject("headers").put("Authorization", "*");

        ObjectNode masked = SecretFields.mask(ResourceKinds.ROUTES, route);

        assertThat(masked.at("/requestHeaders/set/Authorization").asText())
                .isEqualTo(SecretFields.hint("Bearer abc"));
        assertThat(masked.at("/requestHeaders/set/x_auth_token").asText()).isEqualTo(SecretFields.hint("tok"));
        assertThat(masked.at("/requestHeaders/add/Cookie").asText()).isEqualTo(SecretFields.hint("session=1"));
        assertThat(masked.at("/requestHeaders/set/X-Trace").asText()).isEqualTo("t1");
        assertThat(masked.at("/responseHeaders/set/X-Api-Key").asText()).isEqualTo("shown-to-clients");
        assertThat(masked.at("/headers/Authorization").asText()).isEqualTo("*");
    }

    @Test
    void slotsNameEachCredentialHeader() {
        ObjectNode provider = Json.MAPPER.createObjectNode().put("name", "one");
        provider.putObject("headers").put("X-Org-Token", "a").put("X.Vendor-Key", "b").put("Accept", "c");

        List<String> paths = SecretFields.slots(ResourceKinds.PROVIDERS, provider).stream()
                .filter(slot -> slot.value() != null)
                .map(SecretFields.Slot::path)
                .toList();

        assertThat(paths).containsExactly("headers.X-Org-Token", "headers.X.Vendor-Key");
    }

    @Test
    void mayHoldSecretCoversCredentialHeaders() {
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.PROVIDERS, "headers")).isTrue();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.PROVIDERS, "headers.Authorization")).isTrue();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.PROVIDERS, "headers.X.Vendor-Key")).isTrue();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.PROVIDERS, "headers.X-Trace")).isFalse();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.ROUTES, "requestHeaders")).isTrue();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.ROUTES, "requestHeaders.add.Cookie")).isTrue();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.ROUTES, "requestHeaders.set.X-Trace")).isFalse();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.ROUTES, "requestHeaders.remove[0]")).isFalse();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.ROUTES, "responseHeaders.set.Cookie")).isFalse();
        assertThat(SecretFields.mayHoldSecret(ResourceKinds.ROUTES, "headers.Authorization")).isFalse();
    }

    @Test
    void maskUnmaskedKeepsHints() {
        ObjectNode provider = Json.MAPPER.createObjectNode().put("name", "one");
        provider.putObject("headers").put("Authorization", SecretFields.hint("old")).put("X-Api-Key", "clear");

        ObjectNode masked = SecretFields.maskUnmasked(ResourceKinds.PROVIDERS, provider);

        assertThat(masked.at("/headers/Authorization").asText()).isEqualTo(SecretFields.hint("old"));
        assertThat(masked.at("/headers/X-Api-Key").asText()).isEqualTo(SecretFields.hint("clear"));
    }
}
