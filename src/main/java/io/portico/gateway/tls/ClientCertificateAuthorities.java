package io.portico.gateway.tls;

import io.portico.config.CertificateSpec;
import io.portico.config.Pem;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate authorities that client certificates must chain to: the store certificates with
 * {@code usage: client-ca}. An invalid one is logged once per content and left out. {@link #prepare} may run on any
 * thread, while {@link #install} and the accessors need the caller's lock.
 */
final class ClientCertificateAuthorities {

    private static final Logger LOG = LoggerFactory.getLogger(ClientCertificateAuthorities.class);

    private volatile Map<String, CertificateSpec> specs = new TreeMap<>();
    private List<X509Certificate> authorities = List.of();
    private TrustManagerFactory trustManagerFactory = trustManagerFactory(List.of());

    /**
     * Parses the authorities in {@code certificates} and builds their trust manager factory, without changing the
     * ones in use.
     *
     * @return the parsed authorities, or null when they are the ones in use
     */
    Prepared prepare(Collection<CertificateSpec> certificates) {
        Map<String, CertificateSpec> next = new TreeMap<>();
        certificates.forEach(spec -> next.put(spec.name(), spec));
        if (next.equals(specs)) {
            return null;
        }
        List<X509Certificate> parsed = new ArrayList<>();
        Map<CertificateSpec, String> invalid = new LinkedHashMap<>();
        for (CertificateSpec spec : next.values()) {
            try {
                parsed.addAll(Pem.certificates(spec.certificate()));
            } catch (IllegalArgumentException e) {
                invalid.put(spec, e.getMessage());
            }
        }
        return new Prepared(next, List.copyOf(parsed), trustManagerFactory(parsed), invalid);
    }

    /**
     * Replaces the authorities with {@code prepared}, and logs each invalid one whose content changed.
     *
     * @param prepared the outcome of {@link #prepare}, or null when they did not change
     * @return whether they changed
     */
    boolean install(Prepared prepared) {
        if (prepared == null) {
            return false;
        }
        prepared.invalid().forEach((spec, problem) -> {
            if (!spec.equals(specs.get(spec.name()))) {
                LOG.warn("Client certificate authority '{}' is invalid and is not trusted: {}. Fix it through"
                        + " the admin API", spec.name(), problem);
            }
        });
        specs = prepared.specs();
        authorities = prepared.authorities();
        trustManagerFactory = prepared.trustManagerFactory();
        return true;
    }

    int size() {
        return authorities.size();
    }

    /**
     * Returns a PKIX trust manager factory that trusts exactly these authorities. With none, it trusts no client
     * certificate at all.
     */
    TrustManagerFactory trustManagerFactory() {
        return trustManagerFactory;
    }

    private static TrustManagerFactory trustManagerFactory(List<X509Certificate> authorities) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("client-ca-" + i, authorities.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            return factory;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the trust store of client certificate authorities cannot be built", e);
        }
    }

    /**
     * Authorities parsed by {@link #prepare}.
     *
     * @param invalid the specifications that did not parse, with the reason
     */
    record Prepared(Map<String, CertificateSpec> specs, List<X509Certificate> authorities,
                    TrustManagerFactory trustManagerFactory, Map<CertificateSpec, String> invalid) {
    }
}
