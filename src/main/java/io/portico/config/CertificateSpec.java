package io.portico.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

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
@Variant(field = "usage", value = CertificateSpec.SERVER, whenAbsent = true, fields = "key", required = "key")
@Variant(field = "usage", value = CertificateSpec.CLIENT_CA)
public record CertificateSpec(@Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
                              @Required String certificate, String key,
                              @OneOf({SERVER, CLIENT_CA}) String usage) {

    public static final String SERVER = "server";
    public static final String CLIENT_CA = "client-ca";

    /** Creates a server certificate. */
    public CertificateSpec(String name, String certificate, String key) {
        this(name, certificate, key, null);
    }

    /** Records every invalid field of this certificate into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        if (certificate != null && !certificate.contains("-----BEGIN CERTIFICATE-----")) {
            errors.add("certificate", "must be a PEM certificate chain");
        }
        if (!isClientCa() && key != null && !key.contains("PRIVATE KEY-----")) {
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
