package io.portico.gateway.tls;

/** Checks a PEM certificate chain and the PEM private key that must belong to its leaf certificate. */
public final class PemKeyPair {

    private PemKeyPair() {
    }

    /**
     * Parses both texts and checks that the key belongs to the first certificate. The accepted key encodings are
     * those of the HTTPS listener: unencrypted PKCS #8, PKCS #1 RSA and SEC 1 EC keys.
     *
     * @param certificateOrigin names the certificate text at the start of error messages
     * @param keyOrigin names the key text at the start of error messages
     * @throws IllegalArgumentException when a text is missing or invalid, or the key does not match. The message
     *     starts with the origin of the text at fault.
     */
    public static void check(String certificateOrigin, String certificatePem, String keyOrigin, String keyPem) {
        ServedCertificate.parse(certificateOrigin, certificateOrigin, certificatePem, keyOrigin, keyPem);
    }
}
