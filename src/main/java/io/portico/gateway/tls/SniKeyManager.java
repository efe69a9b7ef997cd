package io.portico.gateway.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * An immutable server key manager that picks a certificate by the host name the client sent in the TLS server
 * name indication (SNI) extension.
 *
 * <p>The candidates for a host name are the certificates with that exact DNS subject alternative name; when there
 * are none, the certificates with a wildcard name {@code *.parent} where {@code parent} is the host name without
 * its first label. When there are none either, or the client sent no name, the only candidate is the default
 * certificate, which is the first in the list given to the constructor. A wildcard covers exactly one label:
 * {@code *.example.com} matches {@code a.example.com} but neither {@code example.com} nor
 * {@code a.b.example.com}. Among the candidates, the first with a key type that the handshake requests is chosen.
 * Names are compared case-insensitively. The subject common name is not matched, so every name a certificate
 * serves must be one of its subject alternative names.
 *
 * <p>Reading the name from the handshake session works with the JDK's TLS engine, which Vert.x uses unless
 * OpenSSL is configured.
 */
final class SniKeyManager extends X509ExtendedKeyManager {

    private static final String WILDCARD_PREFIX = "*.";
    private static final String ALIAS_PREFIX = "certificate-";

    private final List<ServedCertificate> certificates;
    private final Map<String, List<Integer>> exactNames = new LinkedHashMap<>();
    private final Map<String, List<Integer>> wildcardParents = new LinkedHashMap<>();

    /** Indexes {@code certificates}; their order decides the default and the preference among equal names. */
    SniKeyManager(List<ServedCertificate> certificates) {
        this.certificates = List.copyOf(certificates);
        for (int index = 0; index < this.certificates.size(); index++) {
            for (String name : this.certificates.get(index).hostNames()) {
                index(name, index);
            }
        }
    }

    boolean isEmpty() {
        return certificates.isEmpty();
    }

    List<ServedCertificate> certificates() {
        return certificates;
    }

    /** Returns the certificate served when the client sent no name or a name no certificate covers. */
    ServedCertificate defaultCertificate() {
        return certificates.isEmpty() ? null : certificates.get(0);
    }

    /**
     * Returns the alias of the certificate to serve for {@code hostName} (null when the client sent none) and a
     * key of type {@code keyType}, or null when no candidate has such a key.
     */
    String chooseAlias(String hostName, String keyType) {
        for (int index : candidates(hostName)) {
            if (certificates.get(index).supports(keyType)) {
                return alias(index);
            }
        }
        return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return chooseAlias(engine == null ? null : requestedHostName(engine.getHandshakeSession()), keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        SSLSession session = socket instanceof SSLSocket tlsSocket ? tlsSocket.getHandshakeSession() : null;
        return chooseAlias(requestedHostName(session), keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        List<String> aliases = new ArrayList<>();
        for (int index = 0; index < certificates.size(); index++) {
            if (certificates.get(index).supports(keyType)) {
                aliases.add(alias(index));
            }
        }
        return aliases.isEmpty() ? null : aliases.toArray(String[]::new);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        ServedCertificate certificate = byAlias(alias);
        return certificate == null ? null : certificate.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        ServedCertificate certificate = byAlias(alias);
        return certificate == null ? null : certificate.key();
    }

    /** Returns null: this key manager serves the server side of connections only. */
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    /** Returns null: this key manager serves the server side of connections only. */
    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return null;
    }

    /** Adds a name to the lookup maps; other names with a '*', such as f*.example.com, are never matched. */
    private void index(String name, int index) {
        String parent = name.startsWith(WILDCARD_PREFIX) ? name.substring(WILDCARD_PREFIX.length()) : null;
        if (parent != null && !parent.contains("*")) {
            wildcardParents.computeIfAbsent(parent, key -> new ArrayList<>()).add(index);
        } else if (!name.contains("*")) {
            exactNames.computeIfAbsent(name, key -> new ArrayList<>()).add(index);
        }
    }

    private List<Integer> candidates(String hostName) {
        if (hostName != null) {
            List<Integer> exact = exactNames.get(hostName);
            if (exact != null) {
                return exact;
            }
            int firstDot = hostName.indexOf('.');
            List<Integer> wildcard = firstDot > 0 ? wildcardParents.get(hostName.substring(firstDot + 1)) : null;
            if (wildcard != null) {
                return wildcard;
            }
        }
        return certificates.isEmpty() ? List.of() : List.of(0);
    }

    private static String alias(int index) {
        return ALIAS_PREFIX + index;
    }

    private ServedCertificate byAlias(String alias) {
        if (alias == null || !alias.startsWith(ALIAS_PREFIX)) {
            return null;
        }
        try {
            int index = Integer.parseInt(alias.substring(ALIAS_PREFIX.length()));
            return index >= 0 && index < certificates.size() ? certificates.get(index) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Returns the lower-cased SNI host name of a handshake in progress, without a trailing dot, or null. */
    static String requestedHostName(SSLSession session) {
        if (!(session instanceof ExtendedSSLSession extended)) {
            return null;
        }
        for (SNIServerName name : extended.getRequestedServerNames()) {
            if (name instanceof SNIHostName host) {
                String ascii = host.getAsciiName().toLowerCase(Locale.ROOT);
                return ascii.endsWith(".") ? ascii.substring(0, ascii.length() - 1) : ascii;
            }
        }
        return null;
    }
}
