package io.portico.net;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/** Removes the parts of URLs that may carry credentials before they are logged or shown in messages. */
public final class UrlRedaction {

    /** A password in the user part of a URL, {@code ://user:password@}; commas separate the URLs of a list. */
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(://[^:@/,]*:)[^@/,]*@");

    private UrlRedaction() {
    }

    /**
     * Returns {@code url} with a password in its user part, or in that of each URL of a comma-separated list,
     * replaced by {@code ****}. The rest stays, so that connection URLs still name their user.
     */
    public static String maskPassword(String url) {
        return USER_INFO_PASSWORD.matcher(url).replaceAll("$1****@");
    }

    /** Returns {@code url} like {@link #forLog(URI)}, or {@code (invalid URL)} when it cannot be parsed. */
    public static String forLog(String url) {
        try {
            return forLog(new URI(url));
        } catch (URISyntaxException e) {
            return "(invalid URL)";
        }
    }

    /**
     * Returns {@code url} as scheme, host, port and path only, for logs: the user information, query, fragment and
     * the parameters of each path segment ({@code ;jsessionid=...}) are left out, because tokens and keys travel in
     * them, as in {@code ?access_token=...}.
     */
    public static String forLog(URI url) {
        if (url.getHost() == null) {
            // Opaque or relative URIs have no authority to keep; the scheme alone is safe.
            return url.getScheme() == null ? "(relative URL)" : url.getScheme() + ":...";
        }
        StringBuilder text = new StringBuilder();
        if (url.getScheme() != null) {
            text.append(url.getScheme()).append("://");
        }
        String host = url.getHost();
        text.append(host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host);
        if (url.getPort() >= 0) {
            text.append(':').append(url.getPort());
        }
        if (url.getRawPath() != null) {
            appendPathWithoutParameters(text, url.getRawPath());
        }
        return text.toString();
    }

    /** Appends {@code rawPath} with each segment cut at its first {@code ;} (RFC 3986 section 3.3). */
    private static void appendPathWithoutParameters(StringBuilder text, String rawPath) {
        int start = 0;
        while (start <= rawPath.length()) {
            int slash = rawPath.indexOf('/', start);
            int end = slash < 0 ? rawPath.length() : slash;
            int semicolon = rawPath.indexOf(';', start);
            text.append(rawPath, start, semicolon >= 0 && semicolon < end ? semicolon : end);
            if (slash < 0) {
                return;
            }
            text.append('/');
            start = slash + 1;
        }
    }
}
