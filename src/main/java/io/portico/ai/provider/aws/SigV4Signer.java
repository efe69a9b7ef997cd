package io.portico.ai.provider.aws;

import static java.util.Objects.requireNonNull;

import io.vertx.core.MultiMap;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs HTTP requests with AWS Signature Version 4, the signature in the {@code Authorization} header.
 *
 * <p>The steps follow the AWS General Reference, "Create a signed AWS API request": a canonical request (method,
 * canonical URI, canonical query, canonical headers, signed header names, hex SHA-256 of the payload), a string to
 * sign ({@code AWS4-HMAC-SHA256}, the time, the credential scope {@code date/region/service/aws4_request}, hex
 * SHA-256 of the canonical request), a signing key derived from the secret by HMAC-SHA256 over date, region,
 * service and {@code aws4_request}, and the hex HMAC of the string to sign.
 *
 * <p>The signed headers are {@code host}, taken from the URI as an HTTP client sends it (without a default port),
 * {@code content-type} when present, and every {@code x-amz-*} header, so headers that a client adds later
 * (user agent, tracing) do not invalidate the signature. Each segment of the path is URI-encoded again, as every
 * service except Amazon S3 requires: a model id sent as {@code v1%3A0} is signed as {@code v1%253A0}.
 */
public final class SigV4Signer {

    /** The signing algorithm named in the string to sign and the {@code Authorization} header. */
    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();
    private static final HexFormat HEX_UPPER = HexFormat.of().withUpperCase();

    private final String service;
    private final String region;
    private final AwsCredentials credentials;

    public SigV4Signer(String service, String region, AwsCredentials credentials) {
        this.service = requireNonNull(service, "service");
        this.region = requireNonNull(region, "region");
        this.credentials = requireNonNull(credentials, "credentials");
    }

    /**
     * Signs a request: sets {@code x-amz-date}, {@code x-amz-security-token} when the credentials carry a session
     * token, and {@code Authorization} in {@code headers}.
     *
     * @param method the HTTP method, such as {@code POST}
     * @param uri the request's absolute URI, its path and query as they are sent (percent-encoded)
     * @param headers the request headers; receives the signing headers
     * @param payload the request body; empty for none
     * @param time the signing time, which AWS accepts within 5 minutes of its own clock
     */
    public void sign(String method, URI uri, MultiMap headers, byte[] payload, Instant time) {
        String amzDate = AMZ_DATE.format(time);
        headers.set("x-amz-date", amzDate);
        if (credentials.sessionToken() != null) {
            headers.set("x-amz-security-token", credentials.sessionToken());
        }
        Map<String, String> signed = headersToSign(uri, headers);
        String canonicalRequest = canonicalRequest(method, canonicalUri(uri.getRawPath()),
                canonicalQuery(uri.getRawQuery()), signed, sha256Hex(payload));
        String date = amzDate.substring(0, 8);
        String scope = scope(date, region, service);
        byte[] key = signingKey(credentials.secretAccessKey(), date, region, service);
        String signature = signature(key, stringToSign(amzDate, scope, canonicalRequest));
        headers.set("authorization", ALGORITHM + " Credential=" + credentials.accessKeyId() + "/" + scope
                + ", SignedHeaders=" + String.join(";", signed.keySet()) + ", Signature=" + signature);
    }

    private static Map<String, String> headersToSign(URI uri, MultiMap headers) {
        Map<String, String> signed = new TreeMap<>();
        signed.put("host", hostHeader(uri));
        for (String name : headers.names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("content-type") || lower.startsWith("x-amz-")) {
                signed.put(lower, String.join(",", headers.getAll(name)));
            }
        }
        return signed;
    }

    /** Returns the {@code Host} header an HTTP client sends for {@code uri}: the port only when not the default. */
    public static String hostHeader(URI uri) {
        int port = uri.getPort();
        boolean defaultPort = port == -1
                || port == 443 && "https".equalsIgnoreCase(uri.getScheme())
                || port == 80 && "http".equalsIgnoreCase(uri.getScheme());
        return defaultPort ? uri.getHost() : uri.getHost() + ":" + port;
    }

    /**
     * Builds the canonical request.
     *
     * @param headers lower-case header names, sorted, with their values; values are trimmed and runs of spaces
     *     collapsed here
     */
    public static String canonicalRequest(String method, String canonicalUri, String canonicalQuery,
                                          Map<String, String> headers, String payloadSha256) {
        StringBuilder canonical = new StringBuilder(256)
                .append(method).append('\n')
                .append(canonicalUri).append('\n')
                .append(canonicalQuery).append('\n');
        Map<String, String> sorted = new TreeMap<>(headers);
        sorted.forEach((name, value) -> canonical.append(name).append(':')
                .append(value.trim().replaceAll(" +", " ")).append('\n'));
        return canonical.append('\n')
                .append(String.join(";", sorted.keySet())).append('\n')
                .append(payloadSha256)
                .toString();
    }

    /** Returns the canonical URI of a percent-encoded path: each segment URI-encoded once more. */
    public static String canonicalUri(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        return uriEncode(rawPath, false);
    }

    /**
     * Returns the canonical query: parameters sorted by encoded name, then value, each name and value
     * URI-encoded, an absent value as empty.
     */
    public static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> parameters = new ArrayList<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            parameters.add(new String[] {uriEncode(decode(name), true), uriEncode(decode(value), true)});
        }
        parameters.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        List<String> joined = new ArrayList<>(parameters.size());
        for (String[] parameter : parameters) {
            joined.add(parameter[0] + "=" + parameter[1]);
        }
        return String.join("&", joined);
    }

    /** Returns the string to sign for a canonical request. */
    public static String stringToSign(String amzDate, String scope, String canonicalRequest) {
        return ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonicalRequest.getBytes(
                StandardCharsets.UTF_8));
    }

    /** Returns the credential scope {@code date/region/service/aws4_request}. */
    public static String scope(String date, String region, String service) {
        return date + "/" + region + "/" + service + "/aws4_request";
    }

    /** Derives the signing key from the secret access key for one day, region and service. */
    public static byte[] signingKey(String secretAccessKey, String date, String region, String service) {
        byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        return hmac(key, "aws4_request");
    }

    /** Returns the hex signature of {@code stringToSign}. */
    public static String signature(byte[] signingKey, String stringToSign) {
        return HEX.formatHex(hmac(signingKey, stringToSign));
    }

    /**
     * URI-encodes {@code text} as AWS requires: every byte except the unreserved characters {@code A-Z a-z 0-9 - _
     * . ~} becomes {@code %XY} with upper-case hex digits, and {@code /} is kept unless {@code encodeSlash}.
     */
    public static String uriEncode(String text, boolean encodeSlash) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder encoded = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            char c = (char) (b & 0xFF);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
                    || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && !encodeSlash) {
                encoded.append(c);
            } else {
                encoded.append('%').append(HEX_UPPER.toHexDigits(b));
            }
        }
        return encoded.toString();
    }

    /** Returns the lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK provides no SHA-256", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("the JDK provides no HmacSHA256", e);
        }
    }

    private static String decode(String component) {
        return URLDecoder.decode(component.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
