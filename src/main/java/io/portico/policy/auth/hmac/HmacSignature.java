package io.portico.policy.auth.hmac;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The request signature of the {@code hmac} policy.
 *
 * <p>The client sends {@code Authorization: HMAC-SHA256 accessKey="...", signature="...", nonce="..."} (nonce
 * optional; parameter names are case-insensitive, values may be quoted) and the date in {@code X-Date} or, when
 * that is absent, {@code Date}. The signature is the standard base64 of the HMAC-SHA256, keyed with the UTF-8
 * bytes of the secret key, of the UTF-8 string to sign: these seven lines joined by {@code \n}, without a final
 * newline:
 *
 * <pre>
 * HMAC-SHA256
 * method, upper-case as sent, such as POST
 * path exactly as sent, percent-encoding kept, without the query
 * query exactly as sent, without the '?'; empty when there is none
 * the date header's value exactly as sent
 * the nonce; empty when there is none
 * the SHA-256 of the body in lower-case hex (e3b0c442...b855 for no body)
 * </pre>
 */
final class HmacSignature {

    /** The authentication scheme and the first line of the string to sign. */
    static final String SCHEME = "HMAC-SHA256";
    private static final String ALGORITHM = "HmacSHA256";

    private HmacSignature() {
    }

    /** Returns the string to sign for the given request parts. */
    static String stringToSign(String method, String path, String query, String date, String nonce,
                               byte[] bodySha256) {
        return String.join("\n", SCHEME, method, path, query == null ? "" : query, date,
                nonce == null ? "" : nonce, HexFormat.of().formatHex(bodySha256));
    }

    /** Returns the HMAC-SHA256 of {@code stringToSign} keyed with {@code secretKey}. */
    static byte[] sign(String secretKey, String stringToSign) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secretKey.getBytes(StandardCharsets.UTF_8), ALGORITHM));
            return mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /**
     * Parses the parameters after the scheme, such as {@code accessKey="ak", signature="c2ln"}, into a map keyed
     * by lower-cased name; null when the text is malformed or repeats a name.
     */
    static Map<String, String> parameters(String text) {
        Map<String, String> parameters = new HashMap<>();
        int i = 0;
        int length = text.length();
        while (i < length) {
            while (i < length && (text.charAt(i) == ' ' || text.charAt(i) == ',')) {
                i++;
            }
            if (i == length) {
                break;
            }
            int equals = text.indexOf('=', i);
            if (equals < 0) {
                return null;
            }
            String name = text.substring(i, equals).trim().toLowerCase(Locale.ROOT);
            int end;
            String value;
            if (equals + 1 < length && text.charAt(equals + 1) == '"') {
                end = text.indexOf('"', equals + 2);
                if (end < 0) {
                    return null;
                }
                value = text.substring(equals + 2, end);
                end++;
            } else {
                end = text.indexOf(',', equals + 1);
                end = end < 0 ? length : end;
                value = text.substring(equals + 1, end).trim();
            }
            if (name.isEmpty() || parameters.put(name, value) != null) {
                return null;
            }
            i = end;
        }
        return parameters;
    }
}
