package io.portico.policy.auth.hmac;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.CredentialSecrets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing of the HMAC-SHA256 authorization parameters and the string to sign. */
class HmacSignatureTest {

    @Test
    void parsesQuotedAndPlainValues() {
        Map<String, String> parameters =
                HmacSignature.parameters("accessKey=\"ak_1\", Signature=c2ln+/=,nonce=\"a,b\"");

        assertThat(parameters).containsEntry("accesskey", "ak_1").containsEntry("signature", "c2ln+/=")
                .containsEntry("nonce", "a,b");
    }

    @Test
    void rejectsRepeatedAndMalformedParameters() {
        assertThat(HmacSignature.parameters("accessKey=a, accesskey=b")).isNull();
        assertThat(HmacSignature.parameters("accessKey")).isNull();
        assertThat(HmacSignature.parameters("accessKey=\"unterminated")).isNull();
    }

    @Test
    void stringToSignHasSevenLines() {
        String text = HmacSignature.stringToSign("POST", "/orders", "a=1", "Tue, 15 Nov 1994 08:12:31 GMT", null,
                CredentialSecrets.sha256(new byte[0]));

        assertThat(text).isEqualTo("HMAC-SHA256\nPOST\n/orders\na=1\nTue, 15 Nov 1994 08:12:31 GMT\n\n"
                + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
