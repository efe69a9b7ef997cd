package io.portico.gateway.upstream;

import io.netty.handler.ssl.NotSslRecordException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * The cause of a failed TLS connection to an upstream target: a short reason for the access log, and the error
 * message that shows it for the application log. Neither contains key material, because the messages of
 * certificate and alert errors name certificates, host names and alerts.
 *
 * @param reason one of the {@code REASON} constants, such as {@value #UNKNOWN_CA}
 * @param detail the error message that shows the reason, for the WARN line of {@link TargetState#onTlsFailure}
 */
public record TlsFailure(String reason, String detail) {

    /** The target's certificate chain leads to no trusted CA: neither {@code caCertificate} nor the JVM's. */
    public static final String UNKNOWN_CA = "unknown_ca";
    /** A certificate of the target's chain has expired or is not valid yet. */
    public static final String CERTIFICATE_EXPIRED = "certificate_expired";
    /** The target's certificate names neither the target host nor {@code serverName}. */
    public static final String HOSTNAME_MISMATCH = "hostname_mismatch";
    /** The target's certificate is invalid for another reason, such as a signature that does not verify. */
    public static final String BAD_CERTIFICATE = "bad_certificate";
    /** The target rejected the handshake over its client certificate, and the service configures none. */
    public static final String CERTIFICATE_REQUIRED = "certificate_required";
    /** The target rejected the handshake over the client certificate that the service configures. */
    public static final String CLIENT_CERTIFICATE_REJECTED = "client_certificate_rejected";
    /** The target sent bytes that are not TLS, such as a plain HTTP response. */
    public static final String NOT_TLS = "not_tls";
    /** The handshake did not complete within {@code timeouts.connect}. */
    public static final String HANDSHAKE_TIMEOUT = "handshake_timeout";
    /** Any other TLS error, such as no protocol version or cipher suite that both sides accept. */
    public static final String HANDSHAKE_FAILED = "handshake_failed";

    /**
     * The prefix of the message of an {@link SSLException} that reports an alert from the peer. NOTE: the JDK's TLS
     * has no exception type or field for a received alert, so this depends on its message text.
     */
    private static final String RECEIVED_ALERT = "Received fatal alert: ";
    /**
     * Alerts that a server sends over the client's certificate (RFC 8446 section 6.2), so a target that sends one
     * rejected the certificate that Portico presented, or its absence.
     */
    private static final Set<String> CLIENT_CERTIFICATE_ALERTS = Set.of("bad_certificate", "unsupported_certificate",
            "certificate_revoked", "certificate_expired", "certificate_unknown", "unknown_ca", "access_denied",
            "certificate_required");
    private static final int MAX_DETAIL_LENGTH = 300;

    /**
     * Returns why the TLS connection failed when {@code failure} or one of its causes is a TLS error, or null when
     * the failure has nothing to do with TLS.
     *
     * @param clientCertificate whether the service presents a client certificate
     */
    public static TlsFailure of(Throwable failure, boolean clientCertificate) {
        SSLException tls = null;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof NotSslRecordException) {
                return new TlsFailure(NOT_TLS, "the target's reply is not a TLS record");
            }
            String reason = certificateReason(cause);
            if (reason != null) {
                return new TlsFailure(reason, detail(innermostMessage(cause)));
            }
            if (cause instanceof SSLException ssl) {
                String alert = receivedAlert(ssl);
                if (alert != null) {
                    return new TlsFailure(alertReason(alert, clientCertificate), detail(ssl));
                }
                tls = tls == null ? ssl : tls;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        if (tls == null) {
            return null;
        }
        // Netty's SslHandshakeTimeoutException, thrown when the handshake exceeds the client's handshake timeout.
        boolean timeout = tls instanceof SSLHandshakeException && tls.getClass().getSimpleName().contains("Timeout");
        return new TlsFailure(timeout ? HANDSHAKE_TIMEOUT : HANDSHAKE_FAILED, detail(innermostMessage(tls)));
    }

    /** Returns the reason that a failed check of the target's certificate shows, or null when it is no such check. */
    private static String certificateReason(Throwable cause) {
        if (cause instanceof CertificateExpiredException || cause instanceof CertificateNotYetValidException) {
            return CERTIFICATE_EXPIRED;
        }
        if (cause instanceof CertPathValidatorException path
                && path.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
            return CERTIFICATE_EXPIRED;
        }
        if (!(cause instanceof CertificateException)) {
            return null;
        }
        Throwable inner = cause.getCause();
        if (inner != null && inner != cause && certificateReason(inner) != null) {
            // The inner exception is more specific, such as the expiry under a failed path validation.
            return null;
        }
        String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        // The JDK's messages: "No subject alternative DNS name matching x found.", "No name matching x found",
        // "No subject alternative names matching IP address x found", "PKIX path building failed: ...".
        if (message.contains("no subject alternative") || message.contains("no name matching")) {
            return HOSTNAME_MISMATCH;
        }
        if (message.contains("path building failed") || message.contains("unable to find valid certification path")) {
            return UNKNOWN_CA;
        }
        return BAD_CERTIFICATE;
    }

    /** Returns the name of the alert that the peer sent, such as {@code bad_certificate}, or null. */
    private static String receivedAlert(SSLException ssl) {
        String message = ssl.getMessage();
        if (message == null || !message.startsWith(RECEIVED_ALERT)) {
            return null;
        }
        return message.substring(RECEIVED_ALERT.length()).trim();
    }

    private static String alertReason(String alert, boolean clientCertificate) {
        if (!CLIENT_CERTIFICATE_ALERTS.contains(alert)) {
            return HANDSHAKE_FAILED;
        }
        return clientCertificate ? CLIENT_CERTIFICATE_REJECTED : CERTIFICATE_REQUIRED;
    }

    /** Returns the deepest cause of {@code failure} that has a message, because wrappers repeat or hide it. */
    private static Throwable innermostMessage(Throwable failure) {
        Throwable found = failure;
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                found = cause;
            }
        }
        return found;
    }

    private static String detail(Throwable cause) {
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return message.length() <= MAX_DETAIL_LENGTH ? message : message.substring(0, MAX_DETAIL_LENGTH) + "...";
    }
}
