package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import org.junit.jupiter.api.Test;

class PemKeysTest {

    private static final TestCertificate EC = TestCertificate.ec("ec", "ec.example.test");
    private static final TestCertificate RSA = TestCertificate.rsa("rsa", "rsa.example.test");

    @Test
    void readsPkcs8EcKey() {
        PrivateKey key = PemKeys.privateKey(EC.keyPem());

        assertThat(key).isEqualTo(EC.keyPair().getPrivate());
    }

    @Test
    void readsPkcs8RsaKey() {
        PrivateKey key = PemKeys.privateKey(RSA.keyPem());

        assertThat(key).isEqualTo(RSA.keyPair().getPrivate());
    }

    @Test
    void readsPkcs1RsaKey() {
        String pem = RSA.traditionalKeyPem();

        assertThat(pem).contains("BEGIN RSA PRIVATE KEY");
        assertThat(PemKeys.privateKey(pem).getEncoded()).isEqualTo(RSA.keyPair().getPrivate().getEncoded());
    }

    @Test
    void readsSec1EcKey() {
        String pem = EC.traditionalKeyPem();

        assertThat(pem).contains("BEGIN EC PRIVATE KEY");
        assertThat(scalar(PemKeys.privateKey(pem))).isEqualTo(scalar(EC.keyPair().getPrivate()));
    }

    @Test
    void rejectsSec1KeyWithoutCurve() {
        String pem = EC.sec1KeyPem((ECPrivateKey) EC.keyPair().getPrivate(), false);

        assertThatThrownBy(() -> PemKeys.privateKey(pem))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not name its curve");
    }

    @Test
    void skipsEcParametersBlock() {
        String pem = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                + EC.traditionalKeyPem();

        assertThat(scalar(PemKeys.privateKey(pem))).isEqualTo(scalar(EC.keyPair().getPrivate()));
    }

    @Test
    void ignoresTextAroundKey() {
        String pem = "Bag Attributes\n    friendlyName: ec\n" + EC.keyPem() + "\ntrailing text\n";

        assertThat(PemKeys.privateKey(pem)).isEqualTo(EC.keyPair().getPrivate());
    }

    @Test
    void rejectsTextWithoutKey() {
        assertThatThrownBy(() -> PemKeys.privateKey(EC.certificatePem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no PEM private key found");
    }

    @Test
    void rejectsTwoKeys() {
        assertThatThrownBy(() -> PemKeys.privateKey(EC.keyPem() + RSA.keyPem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("found 2 PEM private keys");
    }

    @Test
    void rejectsEncryptedPkcs8Key() {
        String pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";

        assertThatThrownBy(() -> PemKeys.privateKey(pem))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encrypted keys are not supported");
    }

    @Test
    void rejectsEncryptedTraditionalKey() {
        String pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                + "DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nMIIB\n-----END RSA PRIVATE KEY-----\n";

        assertThatThrownBy(() -> PemKeys.privateKey(pem))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encrypted keys are not supported");
    }

    @Test
    void rejectsInvalidBase64() {
        String pem = "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n";

        assertThatThrownBy(() -> PemKeys.privateKey(pem))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid base64");
    }

    @Test
    void rejectsMalformedKey() {
        String pem = "-----BEGIN PRIVATE KEY-----\nAAECAwQF\n-----END PRIVATE KEY-----\n";

        assertThatThrownBy(() -> PemKeys.privateKey(pem))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed or not an RSA, EC or EdDSA key");
    }

    @Test
    void rejectsTruncatedEcKey() {
        String pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";

        assertThatThrownBy(() -> PemKeys.privateKey(pem))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid DER");
    }

    private static BigInteger scalar(PrivateKey key) {
        return ((ECPrivateKey) key).getS();
    }
}
