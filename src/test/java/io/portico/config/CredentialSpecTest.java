package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation of credentials: each type takes only its own fields. */
class CredentialSpecTest {

    private static final String HASH = CredentialSecrets.sha256Hex("0123456789abcdefgh");

    @Test
    void keyCredentialWithHashIsValid() throws Exception {
        assertThat(errors("{\"name\":\"k\",\"consumer\":\"c\",\"type\":\"key-auth\",\"keyHash\":\"" + HASH + "\"}"))
                .isEmpty();
    }

    @Test
    void fieldOfAnotherTypeIsRejected() throws Exception {
        List<FieldError> errors = errors("{\"name\":\"k\",\"consumer\":\"c\",\"type\":\"key-auth\","
                + "\"key\":\"0123456789abcdefgh\",\"username\":\"u\"}");

        assertThat(errors).extracting(FieldError::field).containsExactly("username");
    }

    @Test
    void unknownTypeIsRejected() throws Exception {
        List<FieldError> errors = errors("{\"name\":\"k\",\"consumer\":\"c\",\"type\":\"magic\"}");

        assertThat(errors).extracting(FieldError::field).containsExactly("type");
    }

    @Test
    void basicCredentialNeedsUsernameAndPassword() throws Exception {
        List<FieldError> errors = errors("{\"name\":\"b\",\"consumer\":\"c\",\"type\":\"basic-auth\"}");

        assertThat(errors).extracting(FieldError::field).containsExactly("username", "password");
    }

    @Test
    void expiredCredentialIsNotValid() throws Exception {
        CredentialSpec spec = ResourceKinds.CREDENTIALS.parse(Json.MAPPER.readTree("{\"name\":\"k\","
                + "\"consumer\":\"c\",\"type\":\"key-auth\",\"keyHash\":\"" + HASH + "\","
                + "\"expiresAt\":\"2026-01-01T00:00:00Z\"}"));

        assertThat(spec.validAt(Instant.parse("2025-12-31T23:59:59Z"))).isTrue();
        assertThat(spec.validAt(Instant.parse("2026-01-01T00:00:00Z"))).isFalse();
    }

    @Test
    void credentialOfMissingConsumerIsDangling() throws Exception {
        Resource credential = new Resource("credentials", "k", (ObjectNode)
                Json.MAPPER.readTree("{\"name\":\"k\",\"consumer\":\"ghost\",\"type\":\"key-auth\","
                        + "\"keyHash\":\"" + HASH + "\"}"), 1, Instant.now());

        List<FieldError> dangling = ConfigSnapshot.of(1, List.of(credential)).danglingReferences();

        assertThat(dangling).extracting(FieldError::field).containsExactly("credentials/k.consumer");
        assertThatThrownBy(() -> ResourceKinds.CREDENTIALS.parse(Json.MAPPER.readTree("{\"name\":\"k\"}")))
                .isInstanceOf(ValidationException.class);
    }

    @Test
    void keyHashMustBeSha256Hex() throws Exception {
        List<FieldError> errors = errors("{\"name\":\"k\",\"consumer\":\"c\",\"type\":\"key-auth\","
                + "\"keyHash\":\"ab\"}");

        assertThat(errors).extracting(FieldError::field).containsExactly("keyHash");
    }

    @Test
    void passwordHashMustBeBcrypt() throws Exception {
        List<FieldError> errors = errors("{\"name\":\"b\",\"consumer\":\"c\",\"type\":\"basic-auth\","
                + "\"username\":\"u\",\"passwordHash\":\"plain\"}");

        assertThat(errors).extracting(FieldError::field).containsExactly("passwordHash");
    }

    @Test
    void passwordOverBcryptLimitIsRejected() throws Exception {
        List<FieldError> errors = errors("{\"name\":\"b\",\"consumer\":\"c\",\"type\":\"basic-auth\","
                + "\"username\":\"u\",\"password\":\"" + "p".repeat(73) + "\"}");

        assertThat(errors).extracting(FieldError::field).containsExactly("password");
    }

    @Test
    void certificateSubjectAndFingerprintAreChecked() throws Exception {
        List<FieldError> errors = errors("{\"name\":\"m\",\"consumer\":\"c\",\"type\":\"mtls\","
                + "\"subject\":\"not a name\",\"fingerprint\":\"AB:CD\"}");

        assertThat(errors).extracting(FieldError::field).containsExactlyInAnyOrder("subject", "fingerprint");
    }

    private static List<FieldError> errors(String json) throws Exception {
        try {
            ResourceKinds.CREDENTIALS.parse(Json.MAPPER.readTree(json));
            return List.of();
        } catch (ValidationException e) {
            return e.errors();
        }
    }
}
