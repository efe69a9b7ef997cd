package io.portico.net.client;

import java.net.URI;

/**
 * The scheme, host and port that a connection pool serves.
 *
 * @param https true for TLS
 * @param host  the host name or IP address to connect to, an IPv6 address without brackets
 * @param port  the TCP port
 */
public record Origin(boolean https, String host, int port) {

    /** Returns the origin of plain http on {@code host} and {@code port}. Brackets around an IPv6 host are dropped. */
    public static Origin http(String host, int port) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return new Origin(false, bare, port);
    }

    /** Parses the origin of the absolute {@code http} or {@code https} URL {@code uri}. */
    static Origin of(URI uri) {
        String scheme = uri.getScheme();
        boolean https;
        if ("https".equalsIgnoreCase(scheme)) {
            https = true;
        } else if ("http".equalsIgnoreCase(scheme)) {
            https = false;
        } else {
            throw new IllegalArgumentException("URL scheme must be http or https: " + uri);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("URL has no host: " + uri);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort();
        if (port <= 0) {
            port = https ? 443 : 80;
        }
        return new Origin(https, host, port);
    }

    /** Returns the value of the Host header, which leaves out the port when it is the scheme's default. */
    public String hostHeader() {
        String name = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        boolean defaultPort = https ? port == 443 : port == 80;
        return defaultPort ? name : name + ":" + port;
    }
}
