package io.portico.gateway.tls;

import io.portico.config.CertificateSpec;
import java.time.Instant;
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
 * the previous update are parsed, either ahead by {@link #parse} or by {@link #update} itself. An invalid
 * certificate is logged once per content. While it stays invalid, the version loaded before under the same name is
 * still served, or nothing when there was none. {@link #parse} may run on any thread, while the other methods need the
 * caller's lock.
 */
final class StoreCertificates {

    private static final Logger LOG = LoggerFactory.getLogger(StoreCertificates.class);

    private volatile Map<String, Loaded> loaded = new TreeMap<>();
    private final Map<String, CertificateSpec> reportedInvalid = new HashMap<>();

    /** Returns the served certificates in name order. */
    List<ServedCertificate> certificates() {
        List<ServedCertificate> certificates = new ArrayList<>();
        loaded.values().forEach(entry -> certificates.add(entry.certificate()));
        return certificates;
    }

    /**
     * Parses each of {@code specs} that is not loaded yet with the same content, without logging or changing what
     * is served, so that {@link #update} finds them parsed.
     *
     * @return the outcome of each parsed certificate, by name
     */
    Map<String, Parsed> parse(Collection<CertificateSpec> specs) {
        Map<String, Loaded> current = loaded;
        Map<String, Parsed> parsed = new HashMap<>();
        for (CertificateSpec spec : specs) {
            Objects.requireNonNull(spec, "certificate");
            Loaded previous = current.get(spec.name());
            if (previous == null || !previous.spec().equals(spec)) {
                parsed.put(spec.name(), parse(spec));
            }
        }
        return parsed;
    }

    /**
     * Replaces the set of store certificates with {@code specs}, taking each new or changed certificate from
     * {@code parsed} when it has the same specification, and parsing it otherwise.
     *
     * @return whether the served certificates changed
     */
    boolean update(Collection<CertificateSpec> specs, Map<String, Parsed> parsed) {
        Map<String, Loaded> next = new TreeMap<>();
        for (CertificateSpec spec : specs) {
            Objects.requireNonNull(spec, "certificate");
            Loaded entry = load(spec, loaded.get(spec.name()), parsed.get(spec.name()));
            if (entry != null) {
                next.put(spec.name(), entry);
            }
        }
        reportedInvalid.keySet().retainAll(specs.stream().map(CertificateSpec::name).toList());
        boolean changed = !sameCertificates(loaded, next);
        loaded = next;
        return changed;
    }

    private Loaded load(CertificateSpec spec, Loaded previous, Parsed parsed) {
        if (previous != null && previous.spec().equals(spec)) {
            return previous;
        }
        Parsed outcome = parsed != null && parsed.spec().equals(spec) ? parsed : parse(spec);
        if (outcome.certificate() == null) {
            reportInvalid(spec, previous != null, outcome.problem());
            return previous;
        }
        outcome.certificate().logLoaded(Instant.now());
        reportedInvalid.remove(spec.name());
        return new Loaded(spec, outcome.certificate());
    }

    private static Parsed parse(CertificateSpec spec) {
        try {
            return new Parsed(spec, ServedCertificate.parse("store certificate '" + spec.name() + "'",
                    "field 'certificate'", spec.certificate(), "field 'key'", spec.key()), null);
        } catch (IllegalArgumentException e) {
            return new Parsed(spec, null, e.getMessage());
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

    /**
     * The outcome of parsing one store certificate: the certificate, or why it is invalid.
     *
     * @param certificate null when the specification is invalid
     * @param problem why it is invalid, or null when it parsed
     */
    record Parsed(CertificateSpec spec, ServedCertificate certificate, String problem) {
    }

    /** A certificate loaded from the store and the specification it was loaded from. */
    private record Loaded(CertificateSpec spec, ServedCertificate certificate) {
    }
}
