package io.portico.gateway.tls;

import io.portico.config.CertificateSpec;
import io.portico.config.Pem;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate authorities that client certificates must chain to: the store certificates with
 * {@code usage: client-ca}. An invalid one is logged once per content and left out. Not thread-safe.
 */
final class ClientCertificateAuthorities {

    private static final Logger LOG = LoggerFactory.getLogger(ClientCertificateAuthorities.class);

    private Map<String, CertificateSpec> specs = new TreeMap<>();
    private List<X509Certificate> authorities = List.of();

    /**
     * Replaces the authorities with those in {@code specs}.
     *
     * @return whether they changed
     */
    boolean update(Collection<CertificateSpec> certificates) {
        Map<String, CertificateSpec> next = new TreeMap<>();
        certificates.forEach(spec -> next.put(spec.name(), spec));
        if (next.equals(specs)) {
            return false;
        }
        List<X509Certificate> parsed = new ArrayList<>();
        for (CertificateSpec spec : next.values()) {
            try {
                parsed.addAll(Pem.certificates(spec.certificate()));
            } catch (IllegalArgumentException e) {
                if (!spec.equals(specs.get(spec.name()))) {
                    LOG.warn("Client certificate authority '{}' is invalid and is not trusted: {}. Fix it through"
                            + " the admin API", spec.name(), e.getMessage());
                }
            }
        }
        specs = next;
        authorities = List.copyOf(parsed);
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
}
