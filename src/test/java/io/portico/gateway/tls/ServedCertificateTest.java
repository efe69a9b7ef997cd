package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServedCertificateTest {

    private static final TestCertificate EC = TestCertificate.ec("ec", "EC.Example.Test", "*.ec.example.test");
    private static final TestCertificate OTHER_EC = TestCertificate.ec("other", "other.example.test");
    private static final TestCertificate RSA = TestCertificate.rsa("rsa", "rsa.example.test");
    private static final TestCertificate OTHER_RSA = TestCertificate.rsa("other-rsa", "other.example.test");

    @Test
    void loadsMatchingPair() {
        ServedCertificate certificate = load(EC.certificatePem(), EC.keyPem());

        assertThat(certificate.leaf()).isEqualTo(EC.certificate());
        assertThat(certificate.hostNames()).containsExactly("ec.example.test", "*.ec.example.test");
        assertThat(certificate.supports("EC")).isTrue();
        assertThat(certificate.supports("RSA")).isFalse();
    }

    @Test
    void loadsRsaPairWithTraditionalKey() {
        ServedCertificate certificate = load(RSA.certificatePem(), RSA.traditionalKeyPem());

        assertThat(certificate.supports("RSA")).isTrue();
        assertThat(certificate.supports("EC")).isFalse();
    }

    @Test
    void loadsEcPairWithTraditionalKey() {
        ServedCertificate certificate = load(EC.certificatePem(), EC.traditionalKeyPem());

        assertThat(certificate.supports("EC")).isTrue();
    }

    @Test
    void rejectsOtherEcKey() {
        assertThatThrownBy(() -> load(EC.certificatePem(), OTHER_EC.keyPem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key.pem does not match cert.pem: a signature made with the private key does not "
                        + "verify with the certificate's public key");
    }

    @Test
    void rejectsOtherRsaKey() {
        assertThatThrownBy(() -> load(RSA.certificatePem(), OTHER_RSA.keyPem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key.pem does not match cert.pem: the RSA modulus or public exponent differs");
    }

    @Test
    void rejectsKeyOfOtherAlgorithm() {
        assertThatThrownBy(() -> load(RSA.certificatePem(), EC.keyPem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key.pem does not match cert.pem: the certificate has an RSA public key but the "
                        + "private key is EC");
    }

    @Test
    void rejectsMissingCertificate() {
        assertThatThrownBy(() -> load(null, EC.keyPem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cert.pem: the certificate is empty");
    }

    @Test
    void rejectsBlankKey() {
        assertThatThrownBy(() -> load(EC.certificatePem(), " \n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key.pem: the private key is empty");
    }

    @Test
    void rejectsKeyInCertificateText() {
        assertThatThrownBy(() -> load(EC.keyPem(), EC.keyPem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cert.pem: ");
    }

    @Test
    void toStringOmitsKey() {
        ServedCertificate certificate = load(EC.certificatePem(), EC.keyPem());

        assertThat(certificate.toString()).isEqualTo("test [ec.example.test, *.ec.example.test]");
    }

    private static ServedCertificate load(String certificatePem, String keyPem) {
        return ServedCertificate.load("test", "cert.pem", certificatePem, "key.pem", keyPem);
    }
}
