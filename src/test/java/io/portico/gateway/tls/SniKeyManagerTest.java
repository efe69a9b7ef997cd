package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SniKeyManagerTest {

    private static final ServedCertificate DEFAULT = served(TestCertificate.ec("default", "default.example.test"));
    private static final ServedCertificate EXACT = served(TestCertificate.ec("exact", "api.example.test"));
    private static final ServedCertificate WILDCARD = served(TestCertificate.ec("wild", "*.example.test"));
    private static final ServedCertificate RSA = served(TestCertificate.rsa("rsa", "api.example.test"));
    private static final ServedCertificate PARTIAL = served(TestCertificate.ec("partial", "f*.partial.test"));

    private final SniKeyManager manager = new SniKeyManager(List.of(DEFAULT, EXACT, WILDCARD, RSA, PARTIAL));

    @Test
    void exactNameWins() {
        assertThat(chosen("api.example.test", "EC")).isSameAs(EXACT);
    }

    @Test
    void keyTypeSelectsAmongSameName() {
        assertThat(chosen("api.example.test", "RSA")).isSameAs(RSA);
    }

    @Test
    void wildcardCoversOneLabel() {
        assertThat(chosen("web.example.test", "EC")).isSameAs(WILDCARD);
    }

    @Test
    void wildcardSkipsParentDomain() {
        assertThat(chosen("example.test", "EC")).isSameAs(DEFAULT);
    }

    @Test
    void wildcardSkipsTwoLabels() {
        assertThat(chosen("a.web.example.test", "EC")).isSameAs(DEFAULT);
    }

    @Test
    void partialWildcardNeverMatches() {
        assertThat(chosen("foo.partial.test", "EC")).isSameAs(DEFAULT);
    }

    @Test
    void missingNameGetsDefault() {
        assertThat(chosen(null, "EC")).isSameAs(DEFAULT);
    }

    @Test
    void defaultOfOtherKeyTypeGivesNoAlias() {
        assertThat(manager.chooseAlias(null, "RSA")).isNull();
    }

    @Test
    void wildcardOfOtherKeyTypeGivesNoAlias() {
        assertThat(manager.chooseAlias("web.example.test", "RSA")).isNull();
    }

    @Test
    void tls12KeyTypeSuffixIgnored() {
        assertThat(chosen("api.example.test", "EC_EC")).isSameAs(EXACT);
    }

    @Test
    void emptyManagerGivesNoAlias() {
        SniKeyManager empty = new SniKeyManager(List.of());

        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.defaultCertificate()).isNull();
        assertThat(empty.chooseAlias("api.example.test", "EC")).isNull();
        assertThat(empty.getServerAliases("EC", null)).isNull();
    }

    @Test
    void unknownAliasGivesNothing() {
        assertThat(manager.getPrivateKey("certificate-99")).isNull();
        assertThat(manager.getCertificateChain("other")).isNull();
    }

    @Test
    void serverAliasesFilteredByKeyType() {
        assertThat(manager.getServerAliases("RSA", null)).containsExactly("certificate-3");
    }

    @Test
    void serverSideOnly() {
        assertThat(manager.chooseClientAlias(new String[] {"EC"}, null, null)).isNull();
        assertThat(manager.getClientAliases("EC", null)).isNull();
    }

    private ServedCertificate chosen(String hostName, String keyType) {
        String alias = manager.chooseAlias(hostName, keyType);
        assertThat(alias).isNotNull();
        ServedCertificate chosen = manager.certificates().stream()
                .filter(certificate -> certificate.key().equals(manager.getPrivateKey(alias)))
                .findFirst()
                .orElseThrow();
        assertThat(manager.getCertificateChain(alias)).containsExactlyElementsOf(chosen.chain());
        return chosen;
    }

    private static ServedCertificate served(TestCertificate certificate) {
        return ServedCertificate.load(certificate.certificate().getSubjectX500Principal().getName(), "certificate",
                certificate.certificatePem(), "key", certificate.keyPem());
    }
}
