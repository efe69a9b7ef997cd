package io.portico.gateway.upstream;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.util.NetUtil;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The JDK TLS engine of the upstream clients, set up to send the host name of every target as SNI, and never an IP
 * address.
 *
 * <p>The JDK (17) sends SNI only for a host name that contains a dot ({@code sun.security.ssl.Utilities}), so
 * targets such as {@code localhost} or the single-label service names of Docker Compose and Kubernetes got a handshake
 * without SNI. A server that picks its certificate or virtual host by SNI then presents its default one. Vert.x's
 * {@code forceSni} would send the request host of every connection, IP addresses included, which RFC 6066 section 3
 * forbids as SNI. So each engine that these options create gets the host name it connects to as its server name, unless
 * that host is an IP address.
 */
final class HostNameSniEngineOptions extends JdkSSLEngineOptions {

    HostNameSniEngineOptions() {
    }

    private HostNameSniEngineOptions(HostNameSniEngineOptions other) {
        super(other);
    }

    @Override
    public HostNameSniEngineOptions copy() {
        return new HostNameSniEngineOptions(this);
    }

    @Override
    public SslContextFactory sslContextFactory() {
        return new HostNameSniFactory(super.sslContextFactory());
    }

    /** Sets {@code host} as the SNI server name of {@code engine} when it is a host name rather than an IP address. */
    static void setServerName(SSLEngine engine, String host) {
        if (host == null || host.isEmpty() || host.indexOf(':') >= 0 || host.startsWith("[")
                || NetUtil.isValidIpV4Address(host)) {
            return;
        }
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        SNIHostName serverName;
        try {
            serverName = new SNIHostName(name);
        } catch (IllegalArgumentException invalid) {
            // Target hosts are validated as host names, so only a name that SNIHostName rejects gets here, and the
            // JDK's own choice applies to it.
            return;
        }
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(List.of(serverName));
        engine.setSSLParameters(parameters);
    }

    /** Passes every setting on to the JDK's factory and wraps the contexts it creates. */
    private static final class HostNameSniFactory implements SslContextFactory {

        private final SslContextFactory delegate;

        HostNameSniFactory(SslContextFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public SslContextFactory useAlpn(boolean useAlpn) {
            delegate.useAlpn(useAlpn);
            return this;
        }

        @Override
        public SslContextFactory clientAuth(ClientAuth clientAuth) {
            delegate.clientAuth(clientAuth);
            return this;
        }

        @Override
        public SslContextFactory forClient(boolean forClient) {
            delegate.forClient(forClient);
            return this;
        }

        @Override
        public SslContextFactory keyMananagerFactory(KeyManagerFactory keyManagerFactory) {
            delegate.keyMananagerFactory(keyManagerFactory);
            return this;
        }

        @Override
        public SslContextFactory trustManagerFactory(TrustManagerFactory trustManagerFactory) {
            delegate.trustManagerFactory(trustManagerFactory);
            return this;
        }

        @Override
        public SslContextFactory enabledCipherSuites(Set<String> cipherSuites) {
            delegate.enabledCipherSuites(cipherSuites);
            return this;
        }

        @Override
        public SslContextFactory applicationProtocols(List<String> protocols) {
            delegate.applicationProtocols(protocols);
            return this;
        }

        @Override
        public SslContextFactory serverName(String serverName) {
            delegate.serverName(serverName);
            return this;
        }

        @Override
        public SslContext create() throws SSLException {
            SslContext context = delegate.create();
            if (!context.isClient()) {
                return context;
            }
            return new DelegatingSslContext(context) {
                @Override
                protected void initEngine(SSLEngine engine) {
                    setServerName(engine, engine.getPeerHost());
                }
            };
        }
    }
}
