package io.portico.ai.provider.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks the signer against the examples that AWS publishes: the IAM ListUsers POST of the General Reference's
 * signing walkthrough (2011-09-09) and the {@code get-vanilla} case of the Signature Version 4 test suite.
 */
class SigV4SignerTest {

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static final String LIST_USERS = "Action=ListUsers&Version=2010-05-08";

    @Test
    void listUsersCanonicalRequestHash() {
        String canonical = SigV4Signer.canonicalRequest("POST", "/", "", Map.of(
                "content-type", "application/x-www-form-urlencoded; charset=utf-8",
                "host", "iam.amazonaws.com",
                "x-amz-date", "20110909T233600Z"), SigV4Signer.sha256Hex(bytes(LIST_USERS)));

        assertThat(canonical).isEqualTo("""
                POST
                /

                content-type:application/x-www-form-urlencoded; charset=utf-8
                host:iam.amazonaws.com
                x-amz-date:20110909T233600Z

                content-type;host;x-amz-date
                b6359072c78d70ebee1e81adcbab4f01bf2c23245fa365ef83fe8f1f955085e2""");
        assertThat(SigV4Signer.sha256Hex(bytes(canonical)))
                .isEqualTo("3511de7e95d28ecd39e9513b642aee07e54f4941150d8df8bf94b328ef7e55e2");
    }

    @Test
    void listUsersSigningKey() {
        byte[] key = SigV4Signer.signingKey(SECRET, "20110909", "us-east-1", "iam");

        assertThat(HexFormat.of().formatHex(key))
                .isEqualTo("98f1d889fec4f4421adc522bab0ce1f82e6929c262ed15e5a94c90efd1e3b0e7");
    }

    @Test
    void listUsersAuthorizationHeader() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
        SigV4Signer signer = new SigV4Signer("iam", "us-east-1", new AwsCredentials("AKIDEXAMPLE", SECRET, null));

        signer.sign("POST", URI.create("http://iam.amazonaws.com/"), headers, bytes(LIST_USERS),
                Instant.parse("2011-09-09T23:36:00Z"));

        assertThat(headers.get("x-amz-date")).isEqualTo("20110909T233600Z");
        assertThat(headers.get("authorization")).isEqualTo("AWS4-HMAC-SHA256 "
                + "Credential=AKIDEXAMPLE/20110909/us-east-1/iam/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=ced6826de92d2bdeed8f846f0bf508e8559e98e4b0199114b84c54174deb456c");
        assertThat(headers.contains("x-amz-security-token")).isFalse();
    }

    @Test
    void testSuiteGetVanilla() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        SigV4Signer signer = new SigV4Signer("service", "us-east-1",
                new AwsCredentials("AKIDEXAMPLE", SECRET, null));

        signer.sign("GET", URI.create("https://example.amazonaws.com/"), headers, new byte[0],
                Instant.parse("2015-08-30T12:36:00Z"));

        assertThat(headers.get("authorization")).isEqualTo("AWS4-HMAC-SHA256 "
                + "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    }

    @Test
    void sessionTokenIsSentAndSigned() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().set("content-type", "application/json")
                .set("accept", "application/json");
        SigV4Signer signer = new SigV4Signer("bedrock", "eu-west-1",
                new AwsCredentials("ASIAEXAMPLE", SECRET, "token/with+chars="));

        signer.sign("POST", URI.create("https://bedrock-runtime.eu-west-1.amazonaws.com/model/m/converse"), headers,
                bytes("{}"), Instant.parse("2024-05-01T08:00:00Z"));

        assertThat(headers.get("x-amz-security-token")).isEqualTo("token/with+chars=");
        assertThat(headers.get("authorization"))
                .startsWith("AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20240501/eu-west-1/bedrock/aws4_request, ")
                .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, ");
    }

    @Test
    void canonicalUriEncodesSegmentsAgain() {
        String path = "/model/" + SigV4Signer.uriEncode("anthropic.claude-3-5-sonnet-20240620-v1:0", true)
                + "/converse";

        assertThat(path).isEqualTo("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
        assertThat(SigV4Signer.canonicalUri(path))
                .isEqualTo("/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse");
    }

    @Test
    void uriEncodeKeepsOnlyUnreserved() {
        assertThat(SigV4Signer.uriEncode("a-Z_0.9~ +*/é", true)).isEqualTo("a-Z_0.9~%20%2B%2A%2F%C3%A9");
        assertThat(SigV4Signer.uriEncode("a/b", false)).isEqualTo("a/b");
    }

    @Test
    void canonicalQuerySortsAndEncodes() {
        assertThat(SigV4Signer.canonicalQuery("b=2&a=z&a=y&c&d=%20x")).isEqualTo("a=y&a=z&b=2&c=&d=%20x");
        assertThat(SigV4Signer.canonicalQuery(null)).isEmpty();
    }

    @Test
    void hostHeaderOmitsDefaultPort() {
        assertThat(SigV4Signer.hostHeader(URI.create("https://h.example:443/x"))).isEqualTo("h.example");
        assertThat(SigV4Signer.hostHeader(URI.create("http://127.0.0.1:8123/x"))).isEqualTo("127.0.0.1:8123");
    }

    @Test
    void credentialsHideSecretInToString() {
        assertThat(new AwsCredentials("AKID", SECRET, "token").toString()).doesNotContain(SECRET, "token");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
