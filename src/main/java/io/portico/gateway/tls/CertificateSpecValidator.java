package io.portico.gateway.tls;

import io.portico.config.CertificateSpec;
import io.portico.config.Errors;
import io.portico.config.Pem;
import io.portico.config.ResourceKind;
import io.portico.config.SpecValidator;
import java.security.cert.X509Certificate;

/**
 * Rejects a stored certificate that the HTTPS listener could not use: a chain or key it cannot read, a key that
 * does not belong to the leaf certificate, or a {@code client-ca} certificate that is not a certificate authority.
 * A masked secret hint is left to the code that restores it.
 */
public final class CertificateSpecValidator implements SpecValidator {

    private static final String CERTIFICATE = "certificate";
    private static final String KEY = "key";

    @Override
    public void validate(ResourceKind<?> kind, Object spec, Errors errors) {
        if (!(spec instanceof CertificateSpec certificate)) {
            return;
        }
        if (certificate.isClientCa()) {
            validateAuthorities(certificate, errors);
            return;
        }
        if (certificate.key().startsWith("secret:")) {
            return;
        }
        try {
            ServedCertificate.parse(certificate.name(), CERTIFICATE, certificate.certificate(), KEY,
                    certificate.key());
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            String field = message.startsWith(CERTIFICATE + ":") ? CERTIFICATE : KEY;
            errors.add(field, message.substring(message.indexOf(field) + field.length()).replaceFirst("^:? ", ""));
        }
    }

    /** Rejects a client-ca certificate unless each certificate in it may sign others (basic constraints CA). */
    private static void validateAuthorities(CertificateSpec certificate, Errors errors) {
        try {
            for (X509Certificate authority : Pem.certificates(certificate.certificate())) {
                if (authority.getBasicConstraints() < 0) {
                    errors.add(CERTIFICATE, "'" + authority.getSubjectX500Principal().getName()
                            + "' is not a certificate authority (its basic constraints do not allow signing)");
                }
            }
        } catch (IllegalArgumentException e) {
            errors.add(CERTIFICATE, e.getMessage());
        }
    }
}
