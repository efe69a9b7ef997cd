package io.portico.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.portico.net.Authority;
import io.portico.problem.ProblemType;
import java.util.List;
import java.util.Locale;

/**
 * The checks an HTTP/1.x request head must pass before its body is read, in addition to those of Netty's
 * decoder. Each of them guards against a request that the gateway and the upstream could frame or address
 * differently (RFC 9112 sections 3.2, 3.3 and 6).
 */
final class RequestHeadRules {

    private RequestHeadRules() {
    }

    /**
     * Checks the request target, the framing headers and the Host header of {@code request}.
     *
     * @throws InvalidRequestHeadException with the first rule the request breaks
     */
    static void check(HttpRequest request) {
        checkVersion(request.protocolVersion());
        checkTarget(request.uri());
        checkFraming(request);
        checkHost(request);
    }

    private static void checkVersion(HttpVersion version) {
        if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
            throw new InvalidRequestHeadException(ProblemType.VERSION_NOT_SUPPORTED,
                    "the gateway accepts HTTP/1.0, HTTP/1.1 and HTTP/2, not " + version.text());
        }
    }

    private static void checkTarget(String uri) {
        String problem = targetProblem(uri);
        if (problem != null) {
            throw InvalidRequestHeadException.badRequest(problem);
        }
    }

    /**
     * Returns why {@code target} is not a valid request target, or null when it is valid. No valid request target
     * contains a control character, a space, a character outside US-ASCII or a fragment (RFC 9112 section 3.2,
     * RFC 3986 section 3.5). {@link HeadScanner} rejects the bytes of an HTTP/1.x request line already, so this
     * check matters most for HTTP/2, whose HPACK fields can carry any octet in {@code :path}.
     */
    static String targetProblem(String target) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                return "the request target contains a control character or a space";
            }
            if (c > 0x7f) {
                return "the request target contains a character outside US-ASCII; percent-encode it";
            }
            if (c == '#') {
                // Upstreams such as nginx and Express cut the fragment, so they would serve a path that the router
                // never saw: /api/secret#x matches a route on /api, and the upstream serves /api/secret.
                return "the request target must not contain a fragment ('#')";
            }
        }
        return null;
    }

    /**
     * Accepts a body framed by one Content-Length, which Netty has already checked, or by exactly one
     * {@code chunked} transfer coding. Any other transfer coding is rejected: the gateway would have to decode it
     * before forwarding, and upstreams disagree on lists such as {@code chunked, gzip}.
     */
    private static void checkFraming(HttpRequest request) {
        HttpHeaders headers = request.headers();
        List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (codings.isEmpty()) {
            return;
        }
        if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            throw InvalidRequestHeadException.badRequest(
                    "a request must not carry both Content-Length and Transfer-Encoding");
        }
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            throw InvalidRequestHeadException.badRequest("an HTTP/1.0 request must not carry Transfer-Encoding");
        }
        if (codings.size() != 1 || !codings.get(0).trim().equalsIgnoreCase("chunked")) {
            throw InvalidRequestHeadException.badRequest(
                    "the only Transfer-Encoding accepted in a request is a single 'chunked'");
        }
    }

    /**
     * Requires exactly one valid Host header in HTTP/1.1 and at most one in HTTP/1.0, and removes the colon of an
     * empty port from it, so that routing and forwarding see the host alone. Also rejects an absolute-form target
     * whose authority differs from Host, because the router reads Host while an upstream that follows RFC 9112
     * section 3.2.2 would read the target.
     */
    private static void checkHost(HttpRequest request) {
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        boolean http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        if (hosts.size() > 1 || http11 && hosts.isEmpty()) {
            // RFC 9112 section 3.2: a server must reject an HTTP/1.1 request without exactly one Host header.
            throw InvalidRequestHeadException.badRequest("an HTTP/1.1 request must carry exactly one Host header");
        }
        String host = hosts.isEmpty() ? null : hosts.get(0);
        if (host != null && !Authority.isValid(host)) {
            throw InvalidRequestHeadException.badRequest("the Host header is not a valid host and port");
        }
        if (host != null && host.endsWith(":")) {
            host = Authority.withoutEmptyPort(host);
            request.headers().set(HttpHeaderNames.HOST, host);
        }
        String targetAuthority = absoluteFormAuthority(request.uri());
        if (targetAuthority != null && (host == null
                || !Authority.withoutEmptyPort(targetAuthority).equalsIgnoreCase(host))) {
            throw InvalidRequestHeadException.badRequest(
                    "the authority of an absolute-form request target must equal the Host header");
        }
    }

    /**
     * Returns the authority of an absolute-form target ({@code http://host:port/path}), or null for any other
     * form.
     *
     * @throws InvalidRequestHeadException when the target has a scheme other than http or https
     */
    private static String absoluteFormAuthority(String uri) {
        if (uri.startsWith("/") || uri.equals("*")) {
            return null;
        }
        int separator = uri.indexOf("://");
        if (separator < 0) {
            // The authority form of CONNECT; the router finds no route for it.
            return null;
        }
        String scheme = uri.substring(0, separator).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw InvalidRequestHeadException.badRequest("the request target must be an http or https URI");
        }
        int start = separator + 3;
        int end = start;
        while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
            end++;
        }
        return uri.substring(start, end);
    }
}
