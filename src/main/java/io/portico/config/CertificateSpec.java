package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A TLS certificate served on the HTTPS listener. The listener picks a certificate by the SNI name the client
 * sends, matching the certificate's subject alternative names (wildcards included).
 *
 * @param certificate PEM certificate chain, leaf first
 * @param key PEM private key; write-only: the admin API never returns it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CertificateSpec(String name, String certificate, String key) {

    /** Records every invalid field of this certificate into {@code errors}. */
    public void validate(Errors errors) {
        errors.required(name, "name");
        if (name != null && !ServiceSpec.NAME.matcher(name).matches()) {
            errors.add("name", "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        errors.required(certificate, "certificate");
        errors.required(key, "key");
        if (certificate != null && !certificate.contains("-----BEGIN CERTIFICATE-----")) {
            errors.add("certificate", "must be a PEM certificate chain");
        }
        if (key != null && !key.contains("PRIVATE KEY-----")) {
            errors.add("key", "must be a PEM private key");
        }
    }

    /** Returns the names this certificate is valid for, read from its subject alternative names. */
    public List<String> hostNames() {
        return Pem.hostNames(certificate);
    }
}
