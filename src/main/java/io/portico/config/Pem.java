package io.portico.config;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Reads X.509 certificates from PEM text. */
public final class Pem {

    private static final int DNS_NAME = 2;

    private Pem() {
    }

    /**
     * Parses every certificate in {@code pem}.
     *
     * @throws IllegalArgumentException when the text contains no certificate or a malformed one
     */
    public static List<X509Certificate> certificates(String pem) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Collection<? extends java.security.cert.Certificate> parsed =
                    factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            List<X509Certificate> certificates = new ArrayList<>();
            for (java.security.cert.Certificate certificate : parsed) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("no certificate found in PEM text");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("invalid PEM certificate: " + e.getMessage(), e);
        }
    }

    /** Returns the DNS subject alternative names of the first certificate in {@code pem}, lower-cased. */
    public static List<String> hostNames(String pem) {
        X509Certificate leaf = certificates(pem).get(0);
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = leaf.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> entry : alternatives) {
                    if (((Integer) entry.get(0)) == DNS_NAME) {
                        names.add(((String) entry.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("invalid subject alternative names: " + e.getMessage(), e);
        }
        return names;
    }
}
