package io.portico.config;

import java.util.Locale;
import java.util.Set;

/**
 * Header names in configuration: the syntax of a name, and the names that Portico writes itself on every proxied
 * request or response, which route header operations must not add, set or remove. Names are compared ignoring case.
 *
 * <p>Portico frames each message afresh and sets the forwarding headers from the client connection (see
 * {@code docs/security.md}). A header operation on one of these names would let anyone who may edit a route
 * desynchronise a connection (a second request smuggled to the upstream inside the body, or a response body cut
 * short) or forge what upstreams trust. The identity and request id headers are node settings, so the gateway
 * checks them when it compiles a configuration, not here.
 */
public final class HeaderNames {

    /**
     * The framing headers ({@code Content-Length}, {@code Transfer-Encoding}) and the hop-by-hop headers that Portico
     * drops from every message it relays (RFC 9110 section 7.6.1, plus {@code Keep-Alive}, {@code Proxy-Connection}
     * and {@code HTTP2-Settings}), in canonical form. AI provider {@code headers} are checked against the same set.
     */
    private static final Set<String> FRAMING = Set.of("connection", "content-length", "http2-settings",
            "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade");
    /** The forwarding headers that Portico sets on every upstream request, in canonical form. */
    private static final Set<String> FORWARDING = Set.of("forwarded", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-port", "x-forwarded-proto");
    /** Headers that carry credentials whatever their last word, in canonical form. */
    private static final Set<String> CREDENTIALS = Set.of("authorization", "proxy-authorization", "cookie");
    /** Last words, after the last {@code -} of a canonical name, that mark a header carrying a credential. */
    private static final Set<String> CREDENTIAL_WORDS = Set.of("key", "apikey", "token", "secret", "password");

    private static final boolean[] TOKEN_CHARS = tokenChars();

    /** The end of each message about a name that header operations must not name. */
    public static final String CANNOT_CHANGE = "; header operations cannot add, set or remove it";
    private static final String FRAMING_PROBLEM =
            "is a framing or hop-by-hop header, which Portico sets itself for each connection" + CANNOT_CHANGE;

    private static final String EXPECT_PROBLEM = "is answered by Portico itself and never reaches the upstream"
            + CANNOT_CHANGE;

    private HeaderNames() {
    }

    /**
     * Returns {@code name} lower-cased with every {@code _} replaced by {@code -}. Two names with the same canonical
     * form reach a CGI or WSGI upstream as the same {@code HTTP_*} variable, so every check of a name against the
     * headers that Portico sets compares canonical forms, on both sides.
     */
    public static String canonical(String name) {
        return name.replace('_', '-').toLowerCase(Locale.ROOT);
    }

    /**
     * Returns true when {@code name}, in canonical form, is a framing or hop-by-hop header that Portico writes itself
     * for each connection.
     */
    public static boolean isFraming(String name) {
        return FRAMING.contains(canonical(name));
    }

    /**
     * Returns true when {@code name} names a header that carries a credential, so that its configured value is a
     * secret: {@code Authorization}, {@code Proxy-Authorization}, {@code Cookie}, or a name whose last word is
     * {@code Key}, {@code ApiKey}, {@code Token}, {@code Secret} or {@code Password}, such as {@code X-Api-Key},
     * {@code Api-Key}, {@code X-Auth-Token} or a bare {@code Token}. Names are compared in {@link #canonical} form, so
     * {@code x_api_key} is one too.
     */
    public static boolean isCredential(String name) {
        String canonical = canonical(name);
        if (CREDENTIALS.contains(canonical)) {
            return true;
        }
        return CREDENTIAL_WORDS.contains(canonical.substring(canonical.lastIndexOf('-') + 1));
    }

    /** Returns true when {@code name} is a non-empty RFC 9110 token (section 5.6.2), the syntax of a field name. */
    public static boolean isToken(CharSequence name) {
        if (name == null || name.length() == 0) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Returns true when {@code c} is an RFC 9110 {@code tchar}, a character allowed in a token. */
    public static boolean isTokenChar(char c) {
        return c < TOKEN_CHARS.length && TOKEN_CHARS[c];
    }

    /** Marks the US-ASCII characters that RFC 9110 allows in a token. Every proxied field name is checked with it. */
    private static boolean[] tokenChars() {
        boolean[] chars = new boolean[128];
        for (char c = '0'; c <= '9'; c++) {
            chars[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            chars[c] = true;
            chars[Character.toUpperCase(c)] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            chars[c] = true;
        }
        return chars;
    }

    /**
     * Returns why a header operation on the forwarded request must not name {@code name}, or null when it may.
     * Rejects the framing and hop-by-hop headers, {@code Host}, {@code Expect} and the forwarding headers, in any
     * spelling with the same {@link #canonical} form.
     */
    public static String requestOperationProblem(String name) {
        String canonical = canonical(name);
        if (FRAMING.contains(canonical)) {
            return FRAMING_PROBLEM;
        }
        if (canonical.equals("expect")) {
            return EXPECT_PROBLEM;
        }
        if (canonical.equals("host")) {
            return "is set from the service's target, or from the client's request with preserveHost: true"
                    + CANNOT_CHANGE + "; use preserveHost or the target instead";
        }
        if (FORWARDING.contains(canonical)) {
            return "is a forwarding header, which Portico sets from the client connection so that upstreams can "
                    + "trust it" + CANNOT_CHANGE;
        }
        return null;
    }

    /**
     * Returns why a header operation on the response to the client must not name {@code name}, or null when it
     * may. Rejects the framing and hop-by-hop headers, in any spelling with the same {@link #canonical} form.
     */
    public static String responseOperationProblem(String name) {
        return isFraming(name) ? FRAMING_PROBLEM : null;
    }

    /**
     * Returns true when Portico sets or drops {@code name} on every upstream request: a framing, hop-by-hop or
     * forwarding header, {@code Host} or {@code Expect}, or a spelling of one with the same canonical form. The node
     * settings that name the identity and request id headers must not name one of them.
     */
    public static boolean isSetByPortico(String name) {
        return requestOperationProblem(name) != null;
    }
}
