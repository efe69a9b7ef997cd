package io.portico.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Set;

/**
 * A certificate of the HTTPS listener. With {@code usage: server}, the default, it is a certificate the listener
 * serves, picked by the SNI name the client sends, matching the certificate's subject alternative names (wildcards
 * included). With {@code usage: client-ca}, it is a certificate authority that client certificates must chain
 * to, for mutual TLS; it has no key.
 *
 * @param certificate PEM certificate chain, leaf first; for {@code client-ca}, one or more CA certificates
 * @param key PEM private key; write-only: the admin API never returns it. Absent for {@code client-ca}
 * @param usage {@code server} or {@code client-ca}; {@code server} when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CertificateSpec(String name, @Required String certificate, @Required String key, String usage) {

    public static final String SERVER = "server";
    public static final String CLIENT_CA = "client-ca";
    public static final Set<String> USAGES = Set.of(SERVER, CLIENT_CA);

    /** Creates a server certificate. */
    public CertificateSpec(String name, String certificate, String key) {
        this(name, certificate, key, null);
    }

    /** Records every invalid field of this certificate into {@code errors}. */
    public void validate(Errors errors) {
        errors.required(name, "name");
        if (name != null && !ServiceSpec.NAME.matcher(name).matches()) {
            errors.add("name", "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        errors.check(usage == null || USAGES.contains(usage), "usage", "must be server or client-ca");
        errors.required(certificate, "certificate");
        if (certificate != null && !certificate.contains("-----BEGIN CERTIFICATE-----")) {
            errors.add("certificate", "must be a PEM certificate chain");
        }
        if (isClientCa()) {
            errors.check(key == null, "key", "must be absent for a client-ca certificate, which Portico never serves");
            return;
        }
        errors.required(key, "key");
        if (key != null && !key.contains("PRIVATE KEY-----")) {
            errors.add("key", "must be a PEM private key");
        }
    }

    /** Returns true for a certificate authority that client certificates must chain to. */
    @JsonIgnore
    public boolean isClientCa() {
        return CLIENT_CA.equals(usage);
    }

    /** Returns the names this certificate is valid for, read from its subject alternative names. */
    public List<String> hostNames() {
        return Pem.hostNames(certificate);
    }
}
