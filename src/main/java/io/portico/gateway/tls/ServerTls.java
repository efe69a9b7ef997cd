package io.portico.gateway.tls;

import io.portico.config.CertificateSpec;
import io.portico.config.Durations;
import io.portico.node.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.TrustOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server-side TLS of the HTTPS listener: the certificates it serves, chosen per connection by SNI, and the
 * Vert.x options that carry them.
 *
 * <p>Certificates come from two places: the certificate and key files in the node settings, and the certificates
 * in the configuration store. They are ordered file certificates first, in configured order, then store
 * certificates by name. A client's SNI host name selects the first certificate with that exact DNS subject
 * alternative name, else the first with a wildcard name covering it ({@code *.example.com} covers one label), else
 * the default certificate. The default certificate, also served to clients that send no SNI name, is the first file
 * certificate, or when no file is configured, the store certificate whose name sorts first. Among certificates for
 * the same name, the first with a key type the handshake supports wins, so an RSA and an EC certificate can share
 * a name.
 *
 * <p>The listener accepts TLS 1.2 and TLS 1.3 only, and offers {@code h2} and {@code http/1.1} through ALPN.
 *
 * <p>Client certificates: the node setting {@code https.clientAuth} decides whether the handshake asks for one. In
 * its default mode, {@code auto}, it asks while {@link #updateStoreCertificates(Collection, boolean)} was last told
 * that a route needs one. A client certificate must chain to a store certificate with {@code usage: client-ca};
 * any other is rejected in the handshake, and with no such certificate every client certificate is.
 *
 * <p>When the files change on disk ({@link #start()}) or the store certificates change
 * ({@link #updateStoreCertificates}), this class builds new {@link ServerSSLOptions} and passes them to the
 * {@link #onChange} listeners, which apply them with {@code HttpServer.updateSSLOptions}. New connections then get
 * the new certificates and open connections keep theirs. This class is thread-safe.
 *
 * <p>Store certificates change in two steps when the caller runs on an event loop: {@link #prepareStoreCertificates}
 * parses the new and changed certificates on a worker thread, and {@link #install} then swaps them in.
 */
public final class ServerTls {

    /** TLS versions the listener accepts; the handshake fails for any other version. */
    public static final Set<String> PROTOCOLS =
            Collections.unmodifiableSet(new LinkedHashSet<>(List.of("TLSv1.2", "TLSv1.3")));
    /** ALPN protocols offered to clients, in order of preference. */
    public static final List<String> APPLICATION_PROTOCOLS = List.of("h2", "http/1.1");

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    private final Vertx vertx;
    private final Duration reloadInterval;
    private final List<FileCertificate> files;
    private final StoreCertificates store = new StoreCertificates();
    private final ClientCertificateAuthorities clientCas = new ClientCertificateAuthorities();
    private final String clientAuthMode;
    private boolean clientCertificatesNeeded;
    /** Counts the store certificate updates, so a {@link StoreUpdate} can tell whether one happened since. */
    private volatile long storeGeneration;
    private final List<Consumer<ServerSSLOptions>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile SniKeyManager keyManager;
    private volatile ServerSSLOptions sslOptions;
    private boolean started;
    private volatile boolean stopped;
    private volatile long timerId = -1;

    /**
     * Reads and checks the certificate files of {@code settings}. It reads files, so call it at startup or on a
     * worker thread, not on an event loop.
     *
     * @throws IllegalArgumentException when a certificate or key file cannot be read or is invalid, or when a key
     *     does not match its certificate. The message names the file and the problem.
     */
    public ServerTls(Vertx vertx, NodeConfig.HttpsListener settings) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(settings, "settings");
        this.reloadInterval = settings.reloadInterval();
        this.clientAuthMode = settings.clientAuth();
        this.files = settings.certificates().stream().map(FileCertificate::new).toList();
        files.forEach(FileCertificate::load);
        synchronized (lock) {
            rebuild();
        }
    }

    /** Returns whether at least one certificate is served; without one, every handshake fails. */
    public boolean hasCertificates() {
        return !keyManager.isEmpty();
    }

    /**
     * Replaces the store certificates with {@code certificates}, typically those of each new configuration
     * snapshot, and notifies the listeners when the served certificates changed. Only new or changed certificates
     * are parsed, on the calling thread: that takes about a millisecond per certificate and does no I/O.
     */
    public void updateStoreCertificates(Collection<CertificateSpec> certificates) {
        synchronized (lock) {
            updateStoreCertificates(certificates, clientCertificatesNeeded);
        }
    }

    /**
     * Replaces the store certificates, served ones and client certificate authorities, as
     * {@link #updateStoreCertificates(Collection)} does, and records whether a route needs client certificates,
     * which the {@code auto} client authentication mode follows.
     */
    public void updateStoreCertificates(Collection<CertificateSpec> certificates, boolean needClientCertificates) {
        synchronized (lock) {
            install(prepareStoreCertificates(certificates, needClientCertificates));
        }
    }

    /**
     * Parses the new and changed certificates of {@code certificates}, served ones and client certificate
     * authorities, and builds the trust store of the authorities, without changing what is served. Each changed
     * certificate costs a key parse and a signature check, milliseconds of CPU, so call it on a worker thread when
     * the caller is an event loop. Safe to call at any time.
     *
     * @param needClientCertificates whether a route needs client certificates, which the {@code auto} client
     *     authentication mode follows
     * @return the update for {@link #install}. It owns no resource, so one that is never installed needs no release
     */
    public StoreUpdate prepareStoreCertificates(Collection<CertificateSpec> certificates,
                                                boolean needClientCertificates) {
        Objects.requireNonNull(certificates, "certificates");
        long generation = storeGeneration;
        List<CertificateSpec> served = certificates.stream().filter(spec -> !spec.isClientCa()).toList();
        List<CertificateSpec> authorities = certificates.stream().filter(CertificateSpec::isClientCa).toList();
        return new StoreUpdate(this, generation, served, store.parse(served), authorities,
                clientCas.prepare(authorities), needClientCertificates);
    }

    /**
     * Serves the store certificates of {@code update} and notifies the listeners when the served certificates
     * changed. A certificate that {@code update} did not parse is parsed here, which happens only when another update
     * was installed since it was prepared, which {@link StoreUpdate#isCurrent()} reports.
     */
    public void install(StoreUpdate update) {
        Objects.requireNonNull(update, "update");
        if (update.owner != this) {
            throw new IllegalArgumentException("the update was prepared by another ServerTls instance");
        }
        synchronized (lock) {
            boolean current = update.generation == storeGeneration;
            boolean changed = store.update(update.served, update.parsed);
            // A null preparation means "unchanged since it was prepared", which only a current update can rely on.
            changed |= clientCas.install(current ? update.authorities : clientCas.prepare(update.authoritySpecs));
            changed |= update.needClientCertificates != clientCertificatesNeeded;
            clientCertificatesNeeded = update.needClientCertificates;
            // Last, so a preparation that reads the new generation also reads every change above.
            storeGeneration++;
            if (changed) {
                rebuild();
            }
        }
    }

    /**
     * Returns a copy of the current SSL options: SNI on, ALPN on with {@link #APPLICATION_PROTOCOLS}, the
     * {@link #PROTOCOLS} TLS versions and a key manager holding the current certificates.
     */
    public ServerSSLOptions sslOptions() {
        return sslOptions.copy();
    }

    /**
     * Turns on TLS in {@code options} with the current certificates, SNI, ALPN offering HTTP/2 and HTTP/1.1, and
     * TLS 1.2 and 1.3 only. Host and port are left to the caller.
     */
    public void configure(HttpServerOptions options) {
        Objects.requireNonNull(options, "options");
        ServerSSLOptions current = sslOptions;
        options.setSsl(true)
                .setSni(true)
                .setUseAlpn(true)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
                .setEnabledSecureTransportProtocols(new LinkedHashSet<>(PROTOCOLS))
                .setKeyCertOptions(current.getKeyCertOptions().copy())
                .setClientAuth(current.getClientAuth());
        if (current.getTrustOptions() != null) {
            options.setTrustOptions(current.getTrustOptions().copy());
        }
    }

    /**
     * Registers a listener called with new SSL options each time the served certificates change, typically
     * {@code options -> server.updateSSLOptions(options)}. It runs on the thread that made the change (a worker
     * thread for file reloads, the caller of {@link #updateStoreCertificates} otherwise) while this object's lock is
     * held, so listeners see changes in order; it must not block. When the last certificate is removed, listeners
     * get options without certificates, so new handshakes fail until a certificate is added.
     */
    public void onChange(Consumer<ServerSSLOptions> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Starts checking the certificate files for changes every reload interval. The files are read on a worker
     * thread. Does nothing when no file is configured or the interval is zero or negative; calling it again has no
     * effect.
     */
    public void start() {
        synchronized (lock) {
            if (started || stopped) {
                return;
            }
            started = true;
        }
        if (files.isEmpty()) {
            return;
        }
        if (reloadInterval.isZero() || reloadInterval.isNegative()) {
            LOG.info("HTTPS certificate files are not reloaded because the reload interval is {}",
                    Durations.format(reloadInterval));
            return;
        }
        scheduleCheck();
    }

    /** Stops checking the certificate files. A check already running finishes, and no other check starts. */
    public void stop() {
        stopped = true;
        long id = timerId;
        if (id >= 0) {
            vertx.cancelTimer(id);
        }
    }

    private void scheduleCheck() {
        timerId = vertx.setTimer(Math.max(1, reloadInterval.toMillis()), id -> {
            if (!stopped) {
                vertx.executeBlocking(this::checkFiles, false).onComplete(done -> {
                    if (done.failed()) {
                        LOG.warn("Checking the HTTPS certificate files failed; the next check runs after {}",
                                Durations.format(reloadInterval), done.cause());
                    }
                    if (!stopped) {
                        scheduleCheck();
                    }
                });
            }
        });
    }

    private Void checkFiles() {
        boolean changed = false;
        for (FileCertificate file : files) {
            changed |= file.reload();
        }
        if (changed) {
            synchronized (lock) {
                rebuild();
            }
        }
        return null;
    }

    /** Builds SSL options for the current certificates and passes them to the listeners. Requires the lock. */
    private void rebuild() {
        List<ServedCertificate> certificates = new ArrayList<>();
        files.forEach(file -> certificates.add(file.certificate()));
        certificates.addAll(store.certificates());
        SniKeyManager manager = new SniKeyManager(certificates);
        ServerSSLOptions options = newSslOptions(manager);
        ClientAuth clientAuth = clientAuth();
        if (clientAuth != ClientAuth.NONE) {
            options.setClientAuth(clientAuth).setTrustOptions(TrustOptions.wrap(clientCas.trustManagerFactory()));
            LOG.info("HTTPS listener {} client certificates; {} client certificate authorities trusted",
                    clientAuth == ClientAuth.REQUIRED ? "requires" : "requests", clientCas.size());
        }
        keyManager = manager;
        sslOptions = options;
        if (manager.isEmpty()) {
            LOG.info("No HTTPS certificate is configured; TLS handshakes fail until one is added");
        } else {
            LOG.info("HTTPS certificates served: {}; default: {}", certificates.size(),
                    manager.defaultCertificate());
        }
        for (Consumer<ServerSSLOptions> listener : listeners) {
            try {
                listener.accept(options.copy());
            } catch (RuntimeException e) {
                LOG.warn("Applying new HTTPS certificates failed in listener {}; that server keeps its previous "
                        + "certificates", listener, e);
            }
        }
    }

    /** Returns the client authentication of the handshake for the configured mode and the current routes. */
    private ClientAuth clientAuth() {
        return switch (clientAuthMode) {
            case "required" -> ClientAuth.REQUIRED;
            case "request" -> ClientAuth.REQUEST;
            case "none" -> ClientAuth.NONE;
            default -> clientCertificatesNeeded ? ClientAuth.REQUEST : ClientAuth.NONE;
        };
    }

    private static ServerSSLOptions newSslOptions(SniKeyManager manager) {
        return new ServerSSLOptions()
                .setSni(true)
                .setUseAlpn(true)
                .setApplicationLayerProtocols(new ArrayList<>(APPLICATION_PROTOCOLS))
                .setEnabledSecureTransportProtocols(new LinkedHashSet<>(PROTOCOLS))
                .setKeyCertOptions(KeyCertOptions.wrap(manager));
    }

    /** Store certificates parsed by {@link #prepareStoreCertificates}, ready for {@link #install}. */
    public static final class StoreUpdate {
        private final ServerTls owner;
        /** The store generation the certificates were parsed against. */
        private final long generation;
        private final List<CertificateSpec> served;
        private final Map<String, StoreCertificates.Parsed> parsed;
        private final List<CertificateSpec> authoritySpecs;
        /** The parsed client certificate authorities, or null when they were those in use. */
        private final ClientCertificateAuthorities.Prepared authorities;
        private final boolean needClientCertificates;

        private StoreUpdate(ServerTls owner, long generation, List<CertificateSpec> served,
                            Map<String, StoreCertificates.Parsed> parsed, List<CertificateSpec> authoritySpecs,
                            ClientCertificateAuthorities.Prepared authorities, boolean needClientCertificates) {
            this.owner = owner;
            this.generation = generation;
            this.served = served;
            this.parsed = parsed;
            this.authoritySpecs = authoritySpecs;
            this.authorities = authorities;
            this.needClientCertificates = needClientCertificates;
        }

        /** Returns whether no other update was installed since this one was prepared, so installing parses nothing. */
        public boolean isCurrent() {
            return owner.storeGeneration == generation;
        }
    }
}
