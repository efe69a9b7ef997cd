package io.portico.policy.auth.mtls;

import io.portico.config.CredentialSecrets;
import io.portico.pipeline.AuthenticationPolicy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import io.portico.policy.auth.Unauthorized;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates a request by the client certificate of its TLS connection. The HTTPS listener has already checked
 * that the certificate chains to a trusted client certificate authority and is within its validity period. This
 * policy maps the leaf certificate to a credential by its SHA-256 fingerprint, else by its subject distinguished
 * name. Requests on the plain HTTP listener carry no certificate.
 */
final class MtlsPolicy implements AuthenticationPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(MtlsPolicy.class);

    private final CredentialIndex index;
    private final AuthOptions options;
    private final String challenge;

    MtlsPolicy(CredentialIndex index, AuthOptions options) {
        this.index = index;
        this.options = options;
        this.challenge = Unauthorized.challenge("Certificate", options.realm());
    }

    @Override
    public String challenge() {
        return challenge;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        if (ctx.identity() != null) {
            chain.proceed(ctx);
            return;
        }
        X509Certificate leaf = clientCertificate(ctx);
        if (leaf == null) {
            options.noCredential(ctx, chain, challenge, "connect over HTTPS with a client certificate");
            return;
        }
        CredentialIndex.Entry entry = find(leaf);
        if (entry == null) {
            Unauthorized.invalid(ctx, challenge, "no credential for client certificate "
                    + leaf.getSubjectX500Principal().getName());
            return;
        }
        // The certificate belongs to the connection, so there is nothing to remove from the request.
        options.admit(ctx, chain, entry, challenge, admitted -> { });
    }

    private CredentialIndex.Entry find(X509Certificate leaf) {
        CredentialIndex.Entry entry = null;
        try {
            entry = index.byFingerprint(CredentialSecrets.sha256(leaf.getEncoded()));
        } catch (CertificateEncodingException e) {
            LOG.debug("Client certificate {} has no DER encoding; trying its subject", leaf.getSubjectX500Principal(),
                    e);
        }
        return entry != null ? entry : index.bySubject(leaf.getSubjectX500Principal());
    }

    /** Returns the leaf certificate the client presented, or null when the connection has none. */
    private static X509Certificate clientCertificate(RequestContext ctx) {
        if (!ctx.request().isSSL()) {
            return null;
        }
        try {
            List<Certificate> chain = ctx.request().connection().peerCertificates();
            return chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf) ? null : leaf;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
