package io.portico.testing;

/** JSON specifications used across the admin and CLI tests. */
public final class Specs {

    private static final TestCertificates.Issued PAIR = TestCertificates.selfSignedServer("tls.example.test");
    /** A self-signed certificate for {@code tls.example.test}, generated once per test run. */
    public static final String CERTIFICATE = PAIR.certificatePem();
    /** The private key of {@link #CERTIFICATE}. */
    public static final String KEY = PAIR.privateKeyPem();

    private Specs() {
    }

    public static String service(String name) {
        return "{\"name\":\"" + name + "\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":8081}]}";
    }

    public static String route(String name, String service) {
        return "{\"name\":\"" + name + "\",\"paths\":[\"/" + name + "\"],\"service\":\"" + service + "\"}";
    }

    public static String certificate(String name, String key) {
        return "{\"name\":\"" + name + "\",\"certificate\":" + quote(CERTIFICATE) + ",\"key\":" + quote(key) + "}";
    }

    private static String quote(String text) {
        return "\"" + text.replace("\n", "\\n") + "\"";
    }
}
