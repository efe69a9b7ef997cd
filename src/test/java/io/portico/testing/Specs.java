package io.portico.testing;

/** JSON specifications used across the admin and CLI tests. */
public final class Specs {

    /** A certificate chain that passes validation; it is not a parseable certificate. */
    public static final String CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";
    /** A private key that passes validation. */
    public static final String KEY = "-----BEGIN PRIVATE KEY-----\nMIIEsecret\n-----END PRIVATE KEY-----\n";

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
