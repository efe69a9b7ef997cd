package io.portico.gateway.tls;

import io.portico.config.CertificateSpec;
import io.portico.config.Errors;
import io.portico.config.ResourceKind;
import io.portico.config.SpecValidator;

/**
 * Rejects a stored certificate that the HTTPS listener could not serve: a chain or key it cannot read, or a key
 * that does not belong to the leaf certificate. A masked secret hint is left to the code that restores it.
 */
public final class CertificateSpecValidator implements SpecValidator {

    private static final String CERTIFICATE = "certificate";
    private static final String KEY = "key";

    @Override
    public void validate(ResourceKind<?> kind, Object spec, Errors errors) {
        if (!(spec instanceof CertificateSpec certificate) || certificate.key().startsWith("secret:")) {
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
}
