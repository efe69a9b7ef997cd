package io.portico.gateway;

import io.netty.util.ByteProcessor;

/**
 * Reads the bytes of one request head, in order and across several buffers, to find what Netty's decoder accepts
 * but other parsers may read differently. Stops at the empty line that ends the head, or at the first violation:
 *
 * <ul>
 *   <li>whitespace before the request line, and a tab, a second space in a row, a third space or a space at the
 *       end of it. RFC 9112 section 3 specifies single spaces between method, target and version and allows a
 *       recipient to accept other whitespace, which Netty does.</li>
 *   <li>a version that does not start with {@code HTTP/} in upper case. RFC 9112 section 2.3 makes the name
 *       case-sensitive, and Netty would read {@code http/1.1} as HTTP/1.1, to which Vert.x then responds with a bare
 *       501.</li>
 *   <li>a control character, DEL or a byte of 0x80 and above in the request line. A request target is ASCII (RFC
 *       9112 section 3.2), and Netty would read other bytes as Latin-1 characters.</li>
 *   <li>a header line that starts with a space or tab. Such a line continues the previous header (obs-fold, RFC
 *       9112 section 5.2), which Netty would join into one value, or, before the first header, would be read
 *       differently by other parsers.</li>
 *   <li>a header line that starts with a colon. Its field name is empty, while RFC 9110 section 5.1 requires at
 *       least one token character, and Netty would pass the header on.</li>
 * </ul>
 */
final class HeadScanner implements ByteProcessor {

    /** The start of every HTTP/1.x version in a request line. */
    private static final String VERSION_NAME = "HTTP/";

    private boolean started;
    private boolean inRequestLine;
    private int requestLineSpaces;
    /** The bytes of the version read so far, up to the length of {@link #VERSION_NAME}. */
    private int versionBytes;
    private boolean previousSpace;
    private boolean carriageReturn;
    private boolean lineStart;
    private boolean ended;
    private String violation;

    /** Returns false, which stops {@code forEachByte}, at the end of the head or at a violation. */
    @Override
    public boolean process(byte value) {
        if (ended || violation != null) {
            return false;
        }
        if (!started) {
            // Netty skips empty lines before the request line (RFC 9112 section 2.2).
            if (value == '\r' || value == '\n') {
                return true;
            }
            started = true;
            inRequestLine = true;
            // A space before the method counts as one in a row.
            previousSpace = true;
        }
        if (inRequestLine) {
            return processRequestLine(value);
        }
        return processHeaderLine(value);
    }

    private boolean processRequestLine(byte value) {
        if (carriageReturn && value != '\n') {
            return reject("the request line contains a control character");
        }
        if (value == ' ' && (previousSpace || requestLineSpaces == 2) || value == '\t'
                || (value == '\r' || value == '\n') && previousSpace) {
            return reject("the request line must consist of method, target and version separated by single spaces");
        }
        if (value == '\n') {
            inRequestLine = false;
            lineStart = true;
            return true;
        }
        if (value == '\r') {
            carriageReturn = true;
            return true;
        }
        if (value == ' ') {
            requestLineSpaces++;
            previousSpace = true;
            return true;
        }
        if (value < 0) {
            return reject("the request line contains a byte outside US-ASCII; percent-encode it in the target");
        }
        if (value < 0x20 || value == 0x7f) {
            return reject("the request line contains a control character");
        }
        previousSpace = false;
        if (requestLineSpaces == 2 && versionBytes < VERSION_NAME.length()) {
            if (value != VERSION_NAME.charAt(versionBytes)) {
                return reject("the request line must end with the version HTTP/1.1 or HTTP/1.0, in upper case");
            }
            versionBytes++;
        }
        return true;
    }

    private boolean processHeaderLine(byte value) {
        switch (value) {
            case '\n':
                if (lineStart) {
                    ended = true;
                    return false;
                }
                lineStart = true;
                return true;
            case '\r':
                return true;
            case ' ':
            case '\t':
                return !lineStart || reject("header lines must not be continued on the next line (obs-fold)");
            case ':':
                return !lineStart || reject("a header line has an empty field name");
            default:
                lineStart = false;
                return true;
        }
    }

    private boolean reject(String detail) {
        violation = detail;
        return false;
    }

    /** Returns true once a byte of the request line arrived, not counting the empty lines Netty skips before it. */
    boolean started() {
        return started;
    }

    /** Returns the first rule the head broke, or null. */
    String violation() {
        return violation;
    }

    /** Prepares for the head of the next request on the connection. */
    void reset() {
        started = false;
        inRequestLine = false;
        requestLineSpaces = 0;
        versionBytes = 0;
        previousSpace = false;
        carriageReturn = false;
        lineStart = false;
        ended = false;
        violation = null;
    }
}
