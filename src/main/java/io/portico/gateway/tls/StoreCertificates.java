package io.portico.gateway.tls;

import io.portico.config.CertificateSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates from the configuration store, sorted by name. Only certificates that are new or changed since
 * the previous update are parsed. An invalid certificate is logged once per content. While it stays invalid, the
 * version loaded before under the same name is still served, or nothing when there was none. Not thread-safe.
 */
final class StoreCertificates {

    private static final Logger LOG = LoggerFactory.getLogger(StoreCertificates.class);

    private Map<String, Loaded> loaded = new TreeMap<>();
    private final Map<String, CertificateSpec> reportedInvalid = new HashMap<>();

    /** Returns the served certificates in name order. */
    List<ServedCertificate> certificates() {
        List<ServedCertificate> certificates = new ArrayList<>();
        loaded.values().forEach(entry -> certificates.add(entry.certificate()));
        return certificates;
    }

    /**
     * Replaces the set of store certificates with {@code specs}.
     *
     * @return whether the served certificates changed
     */
    boolean update(Collection<CertificateSpec> specs) {
        Map<String, Loaded> next = new TreeMap<>();
        for (CertificateSpec spec : specs) {
            Objects.requireNonNull(spec, "certificate");
            Loaded entry = load(spec, loaded.get(spec.name()));
            if (entry != null) {
                next.put(spec.name(), entry);
            }
        }
        reportedInvalid.keySet().retainAll(specs.stream().map(CertificateSpec::name).toList());
        boolean changed = !sameCertificates(loaded, next);
        loaded = next;
        return changed;
    }

    private Loaded load(CertificateSpec spec, Loaded previous) {
        if (previous != null && previous.spec().equals(spec)) {
            return previous;
        }
        try {
            ServedCertificate certificate = ServedCertificate.load("store certificate '" + spec.name() + "'",
                    "field 'certificate'", spec.certificate(), "field 'key'", spec.key());
            reportedInvalid.remove(spec.name());
            return new Loaded(spec, certificate);
        } catch (IllegalArgumentException e) {
            reportInvalid(spec, previous != null, e.getMessage());
            return previous;
        }
    }

    private void reportInvalid(CertificateSpec spec, boolean previousServed, String problem) {
        if (spec.equals(reportedInvalid.put(spec.name(), spec))) {
            return;
        }
        if (previousServed) {
            LOG.warn("Store certificate '{}' is invalid, so its previous version is still served: {}. "
                    + "Fix it through the admin API", spec.name(), problem);
        } else {
            LOG.warn("Store certificate '{}' is invalid and is not served: {}. Fix it through the admin API",
                    spec.name(), problem);
        }
    }

    private static boolean sameCertificates(Map<String, Loaded> before, Map<String, Loaded> after) {
        if (!before.keySet().equals(after.keySet())) {
            return false;
        }
        for (Map.Entry<String, Loaded> entry : after.entrySet()) {
            if (before.get(entry.getKey()).certificate() != entry.getValue().certificate()) {
                return false;
            }
        }
        return true;
    }

    /** A certificate loaded from the store and the specification it was loaded from. */
    private record Loaded(CertificateSpec spec, ServedCertificate certificate) {
    }
}
