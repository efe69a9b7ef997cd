package io.portico.gateway.upstream;

import io.portico.config.Errors;
import io.portico.config.ResourceKind;
import io.portico.config.ServiceSpec;
import io.portico.config.SpecValidator;

/**
 * Rejects a service whose upstream TLS certificates or client key cannot be used, reading the files that the
 * specification names on the machine that validates it. Each node reads those files again when it builds the
 * service's client, and a node that lacks them logs an ERROR then and keeps the service's previous client, which
 * a new service does not have.
 */
public final class UpstreamTlsValidator implements SpecValidator {

    @Override
    public void validate(ResourceKind<?> kind, Object spec, Errors errors) {
        if (spec instanceof ServiceSpec service && service.tls() != null) {
            UpstreamClients.checkTls(service.tls(), errors.at("tls"));
        }
    }

    @Override
    public boolean readsLocalFiles() {
        return true;
    }
}
