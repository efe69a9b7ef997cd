package io.portico.net.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.portico.net.TransferCodings;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import java.nio.charset.StandardCharsets;

/**
 * Reads the HTTP/1.1 responses that arrive on one client connection, byte by byte as RFC 9112 frames them, and hands
 * each head and each piece of body to a {@link Listener}. Body pieces are slices of the bytes read, so no body is
 * copied. A head, a chunk-size line or a trailer section that spans reads is gathered first.
 *
 * <p>Framing follows RFC 9112 section 6.3: no body for 1xx, 204 and 304 responses and for responses to HEAD;
 * chunked transfer coding when Transfer-Encoding names it alone, which then overrides Content-Length and keeps the
 * connection from being reused. A Transfer-Encoding that names another coding makes the response invalid. Without
 * either, Content-Length frames the body, and without that the body lasts until the server closes the connection.
 * Interim responses other than 101 are skipped, up to {@link #MAX_INTERIM_RESPONSES} per request. Head lines may end
 * with a bare LF; chunk-size lines and the end of each chunk must be CRLF. Field names are kept as sent. Whitespace
 * before a colon is removed (RFC 9112 section 5.1). An obs-fold line is joined to its field with one space (section
 * 5.2).
 *
 * <p>Not thread-safe: one instance per connection, used on its event loop.
 */
final class ResponseParser {

    /** The maximum size of a response head, and of a trailer section, in bytes. */
    static final int MAX_HEAD_BYTES = 16 * 1024;
    /** The maximum size of a chunk-size line, extensions included, in bytes. */
    static final int MAX_CHUNK_LINE_BYTES = 4096;
    /**
     * The maximum number of interim (1xx) responses before the final response to one request. Servers send one
     * 100 Continue and 103 Early Hints once or a few times, so 32 is an estimate with wide room above that. Without a
     * limit an upstream could keep the parser reading heads until a timeout ends the request.
     *
     * <p>NOTE: a server that sends 102 Processing again and again while a long request runs reaches the limit after
     * 32 of them, and the request then fails.
     */
    static final int MAX_INTERIM_RESPONSES = 32;

    /** Receives what the parser reads. A listener may call {@link #stop()} from any of these methods. */
    interface Listener {

        /**
         * Receives a final response head, or a 101 head.
         *
         * @param keepAlive whether the connection may carry another exchange after this response
         */
        void head(int status, boolean keepAlive, HeadersMultiMap headers);

        /** Receives a piece of body that more body follows; the listener owns {@code piece}. */
        void content(ByteBuf piece);

        /**
         * Receives the last piece of body, possibly empty, which ends the response; the listener owns {@code piece}.
         *
         * @param trailing true when more bytes followed the response in the same read, which a server never sends
         *                 to a client that waits for each response before its next request
         */
        void last(ByteBuf piece, boolean trailing);

        /** Receives the reason a response cannot be framed; the parser has stopped. */
        void invalid(String reason);
    }

    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, STOPPED }

    private static final String[] COMMON_NAMES = {
        "Date", "date", "Server", "server", "Connection", "connection", "Content-Type", "content-type",
        "Content-Length", "content-length", "Transfer-Encoding", "transfer-encoding", "Cache-Control",
        "cache-control", "Keep-Alive", "keep-alive", "ETag", "etag", "Last-Modified", "last-modified", "Vary", "vary",
        "Content-Encoding", "content-encoding", "Location", "location", "Set-Cookie", "set-cookie", "Expires",
        "expires", "Accept-Ranges", "accept-ranges", "X-Request-Id", "x-request-id",
    };
    private static final byte[][] COMMON_NAME_BYTES = new byte[COMMON_NAMES.length][];

    static {
        for (int i = 0; i < COMMON_NAMES.length; i++) {
            COMMON_NAME_BYTES[i] = COMMON_NAMES[i].getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final Listener listener;
    private final ByteBufAllocator allocator;
    private State state = State.HEAD;
    /** Bytes of an unfinished head, chunk-size line or trailer section, kept between reads. */
    private ByteBuf pending;
    /** How many bytes of {@link #pending} were already searched for the end of a head or trailer section. */
    private int searched;
    /** The head being parsed, copied out of the buffer. */
    private byte[] head = new byte[1024];
    private boolean headRequest;
    // The Content-Length, Transfer-Encoding and Connection values of the head being parsed, each joined with commas
    // and each complete with its obs-fold lines, or null when the head has none.
    private String contentLength;
    private String transferEncoding;
    private String connection;
    /** True once a byte of the response to the current request arrived, interim responses included. */
    private boolean responseStarted;
    /** The number of interim responses read for the current request. */
    private int interimResponses;
    private long remaining;

    ResponseParser(Listener listener, ByteBufAllocator allocator) {
        this.listener = listener;
        this.allocator = allocator;
    }

    /** Notes whether the next response is to a HEAD request, which makes it bodyless. */
    void expect(boolean headRequest) {
        this.headRequest = headRequest;
        this.responseStarted = false;
        this.interimResponses = 0;
    }

    /** Returns true once a byte of the response to the current request arrived, interim responses included. */
    boolean responseStarted() {
        return responseStarted;
    }

    /** Discards every byte from now on. */
    void stop() {
        state = State.STOPPED;
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    /** Returns true while a response is partly read: its head started, or its body has not ended. */
    boolean inResponse() {
        return state != State.HEAD && state != State.STOPPED || pending != null && pending.isReadable();
    }

    /**
     * Handles the end of the connection: a body that lasts until the close ends here. Returns true when that ended
     * a response.
     */
    boolean closed() {
        if (state == State.UNTIL_CLOSE) {
            state = State.HEAD;
            listener.last(Unpooled.EMPTY_BUFFER, false);
            return true;
        }
        return false;
    }

    /** Reads {@code in}, which the parser releases. */
    void read(ByteBuf in) {
        if (state == State.STOPPED) {
            in.release();
            return;
        }
        responseStarted = true;
        ByteBuf buf = in;
        if (pending != null) {
            pending.writeBytes(in);
            in.release();
            buf = pending;
            pending = null;
        }
        try {
            parse(buf);
        } finally {
            if (state != State.STOPPED && buf.isReadable() && pending == null) {
                // An unfinished line or head waits for more bytes.
                pending = allocator.heapBuffer(Math.max(256, buf.readableBytes() * 2));
                pending.writeBytes(buf);
            }
            buf.release();
        }
    }

    private void parse(ByteBuf buf) {
        while (buf.isReadable() && state != State.STOPPED) {
            switch (state) {
                case HEAD -> {
                    if (!readHead(buf)) {
                        return;
                    }
                }
                case FIXED -> readFixed(buf);
                case CHUNK_SIZE -> {
                    if (!readChunkSize(buf)) {
                        return;
                    }
                }
                case CHUNK_DATA -> readChunkData(buf);
                case CHUNK_END -> {
                    if (!readChunkEnd(buf)) {
                        return;
                    }
                }
                case TRAILERS -> {
                    if (!readTrailers(buf)) {
                        return;
                    }
                }
                case UNTIL_CLOSE -> listener.content(buf.readRetainedSlice(buf.readableBytes()));
                default -> buf.skipBytes(buf.readableBytes());
            }
        }
    }

    // ---- Head ----

    private boolean readHead(ByteBuf buf) {
        // Empty lines before a status line are skipped, as some servers send one after a body.
        while (buf.isReadable() && isLineEnd(buf.getByte(buf.readerIndex()))) {
            buf.skipBytes(1);
        }
        if (!buf.isReadable()) {
            return false;
        }
        int end = sectionEnd(buf);
        if (end < 0) {
            if (buf.readableBytes() > MAX_HEAD_BYTES) {
                fail("the response head is longer than " + MAX_HEAD_BYTES + " bytes");
            }
            return false;
        }
        int length = end - buf.readerIndex();
        if (length > MAX_HEAD_BYTES) {
            fail("the response head is longer than " + MAX_HEAD_BYTES + " bytes");
            return false;
        }
        if (head.length < length) {
            head = new byte[Math.max(length, head.length * 2)];
        }
        buf.getBytes(buf.readerIndex(), head, 0, length);
        buf.skipBytes(length);
        searched = 0;
        parseHead(length, buf);
        return true;
    }

    /**
     * Returns the index after the empty line that ends the head or trailer section starting at the reader index, or
     * -1 when it has not arrived. Lines may end with CRLF or a bare LF.
     */
    private int sectionEnd(ByteBuf buf) {
        int start = buf.readerIndex();
        int limit = buf.writerIndex();
        int from = start + Math.max(0, searched - 2);
        while (true) {
            int lf = buf.indexOf(from, limit, (byte) '\n');
            if (lf < 0) {
                searched = limit - start;
                return -1;
            }
            // The line before this LF is empty when the previous byte is an LF, or a CR preceded by an LF.
            if (lf > start && buf.getByte(lf - 1) == '\n'
                    || lf > start + 1 && buf.getByte(lf - 1) == '\r' && buf.getByte(lf - 2) == '\n') {
                return lf + 1;
            }
            from = lf + 1;
        }
    }

    private void parseHead(int length, ByteBuf rest) {
        int lineEnd = lineEnd(0, length);
        int status = statusLine(lineEnd);
        if (status < 0) {
            fail("the status line is malformed");
            return;
        }
        boolean http10 = head[7] == '0';

        HeadersMultiMap headers = HeadersMultiMap.httpHeaders();
        contentLength = null;
        transferEncoding = null;
        connection = null;
        String name = null;
        String value = null;
        int pos = next(lineEnd, length);
        while (pos < length) {
            int end = lineEnd(pos, length);
            if (end == pos) {
                break;
            }
            byte first = head[pos];
            if (first == ' ' || first == '\t') {
                if (name == null) {
                    fail("the first header line starts with whitespace");
                    return;
                }
                String folded = fieldValue(pos, end);
                if (folded == null) {
                    fail("header " + name + " contains a control character");
                    return;
                }
                value = folded.isEmpty() ? value : value.isEmpty() ? folded : value + ' ' + folded;
                pos = next(end, length);
                continue;
            }
            if (name != null) {
                addField(headers, name, value);
            }

            int colon = indexOf(pos, end, (byte) ':');
            int nameEnd = colon;
            while (nameEnd > pos && (head[nameEnd - 1] == ' ' || head[nameEnd - 1] == '\t')) {
                nameEnd--;
            }
            if (colon < 0 || nameEnd == pos || !isToken(pos, nameEnd)) {
                fail(colon < 0 ? "a header line has no colon" : "a header name is not a token");
                return;
            }

            name = fieldName(pos, nameEnd);
            value = fieldValue(colon + 1, end);
            if (value == null) {
                fail("header " + name + " contains a control character");
                return;
            }
            pos = next(end, length);
        }
        if (name != null) {
            addField(headers, name, value);
        }
        frame(status, http10, headers, rest);
    }

    /**
     * Adds a field whose obs-fold lines were joined, and notes the value of a field that frames the body. The
     * framing thus reads the same value as the caller gets.
     */
    private void addField(HeadersMultiMap headers, String name, String value) {
        headers.add(name, value);
        if (name.equalsIgnoreCase("Content-Length")) {
            contentLength = contentLength == null ? value : contentLength + ',' + value;
        } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
            transferEncoding = transferEncoding == null ? value : transferEncoding + ',' + value;
        } else if (name.equalsIgnoreCase("Connection")) {
            connection = connection == null ? value : connection + ',' + value;
        }
    }

    /** Chooses how the body is framed and hands on the head. */
    private void frame(int status, boolean http10, HeadersMultiMap headers, ByteBuf rest) {
        if (status >= 100 && status < 200 && status != 101) {
            // Interim responses carry no body; the final response follows.
            interimResponses++;
            if (interimResponses > MAX_INTERIM_RESPONSES) {
                fail("more than " + MAX_INTERIM_RESPONSES + " interim responses precede the final response");
            }
            return;
        }
        boolean keepAlive = http10 ? hasToken(connection, "keep-alive") : !hasToken(connection, "close");
        if (status == 101) {
            State was = state;
            listener.head(status, false, headers);
            if (state == was) {
                stop();
            }
            return;
        }
        boolean bodyless = headRequest || status == 204 || status == 304;
        long length = -1;
        boolean chunked = false;
        if (!bodyless && transferEncoding != null) {
            if (!TransferCodings.isChunkedAlone(transferEncoding)) {
                // Portico sends no TE field, so a server may apply no other transfer coding (RFC 9112 section 6.1),
                // and a body relayed without that coding would reach the client as if it were plain.
                fail("the Transfer-Encoding applies a coding other than one chunked");
                return;
            }
            chunked = true;
            if (contentLength != null || http10) {
                // Another parser could frame such a body differently: Transfer-Encoding beside a Content-Length,
                // or sent by an HTTP/1.0 server. So the connection closes after it (RFC 9112 section 6.3).
                headers.remove("Content-Length");
                keepAlive = false;
            }
        } else if (contentLength != null) {
            length = contentLength(contentLength);
            if (length < 0) {
                fail("the Content-Length is not one non-negative number");
                return;
            }
            String single = Long.toString(length);
            if (!contentLength.equals(single)) {
                // Several equal values, or leading zeros, reach the caller as the one number they state. The caller
                // may forward the field, and RFC 9110 section 8.6 forbids forwarding a list of numbers.
                headers.set("Content-Length", single);
            }
        }
        if (bodyless) {
            state = State.HEAD;
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (length >= 0) {
            remaining = length;
            state = length == 0 ? State.HEAD : State.FIXED;
        } else {
            keepAlive = false;
            state = State.UNTIL_CLOSE;
        }
        State framed = state;
        listener.head(status, keepAlive, headers);
        if (state == framed && framed == State.HEAD) {
            finish(Unpooled.EMPTY_BUFFER, rest);
        }
    }

    /** Returns the status code of the status line that ends at {@code end}, or -1 when it is malformed. */
    private int statusLine(int end) {
        // The form is HTTP/1.x SP 3DIGIT [SP reason-phrase].
        if (end < 12 || head[0] != 'H' || head[1] != 'T' || head[2] != 'T' || head[3] != 'P' || head[4] != '/'
                || head[5] != '1' || head[6] != '.' || head[7] != '0' && head[7] != '1' || head[8] != ' ') {
            return -1;
        }
        int status = 0;
        for (int i = 9; i < 12; i++) {
            byte digit = head[i];
            if (digit < '0' || digit > '9') {
                return -1;
            }
            status = status * 10 + digit - '0';
        }
        // RFC 9110 section 15: codes outside 100..599 are invalid.
        if (status < 100 || status > 599 || end > 12 && head[12] != ' ') {
            return -1;
        }
        return status;
    }

    // ---- Body ----

    private void readFixed(ByteBuf buf) {
        int size = (int) Math.min(remaining, buf.readableBytes());
        ByteBuf piece = buf.readRetainedSlice(size);
        remaining -= size;
        if (remaining > 0) {
            listener.content(piece);
        } else {
            state = State.HEAD;
            finish(piece, buf);
        }
    }

    private boolean readChunkSize(ByteBuf buf) {
        int lf = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) '\n');
        if (lf < 0) {
            if (buf.readableBytes() > MAX_CHUNK_LINE_BYTES) {
                fail("a chunk-size line is longer than " + MAX_CHUNK_LINE_BYTES + " bytes");
            }
            return false;
        }
        int start = buf.readerIndex();
        if (lf - start > MAX_CHUNK_LINE_BYTES || lf == start || buf.getByte(lf - 1) != '\r') {
            fail("a chunk-size line is malformed");
            return false;
        }

        long size = 0;
        int i = start;
        for (; i < lf - 1; i++) {
            int digit = Character.digit(buf.getByte(i), 16);
            if (digit < 0) {
                break;
            }
            size = size * 16 + digit;
            if (size > Integer.MAX_VALUE) {
                fail("a chunk size is above 2^31");
                return false;
            }
        }
        if (i == start) {
            fail("a chunk-size line is malformed");
            return false;
        }

        while (i < lf - 1 && (buf.getByte(i) == ' ' || buf.getByte(i) == '\t')) {
            i++;
        }
        if (i < lf - 1 && buf.getByte(i) != ';') {
            fail("a chunk-size line is malformed");
            return false;
        }
        buf.readerIndex(lf + 1);
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
        return true;
    }

    private void readChunkData(ByteBuf buf) {
        int size = (int) Math.min(remaining, buf.readableBytes());
        ByteBuf piece = buf.readRetainedSlice(size);
        remaining -= size;
        if (remaining == 0) {
            state = State.CHUNK_END;
        }
        listener.content(piece);
    }

    private boolean readChunkEnd(ByteBuf buf) {
        if (buf.readableBytes() < 2) {
            if (buf.getByte(buf.readerIndex()) != '\r') {
                fail("a chunk does not end with CRLF");
            }
            return false;
        }
        if (buf.getByte(buf.readerIndex()) != '\r' || buf.getByte(buf.readerIndex() + 1) != '\n') {
            fail("a chunk does not end with CRLF");
            return false;
        }
        buf.skipBytes(2);
        state = State.CHUNK_SIZE;
        return true;
    }

    private boolean readTrailers(ByteBuf buf) {
        int end;
        if (buf.getByte(buf.readerIndex()) == '\n') {
            end = buf.readerIndex() + 1;
        } else if (buf.readableBytes() >= 2 && buf.getByte(buf.readerIndex()) == '\r'
                && buf.getByte(buf.readerIndex() + 1) == '\n') {
            end = buf.readerIndex() + 2;
        } else {
            end = sectionEnd(buf);
        }
        if (end < 0) {
            if (buf.readableBytes() > MAX_HEAD_BYTES) {
                fail("the trailer section is longer than " + MAX_HEAD_BYTES + " bytes");
            }
            return false;
        }
        if (end - buf.readerIndex() > MAX_HEAD_BYTES) {
            fail("the trailer section is longer than " + MAX_HEAD_BYTES + " bytes");
            return false;
        }
        // Trailer fields are not passed on.
        buf.readerIndex(end);
        searched = 0;
        state = State.HEAD;
        finish(Unpooled.EMPTY_BUFFER, buf);
        return true;
    }

    /** Hands on the end of a response; {@code rest} contains what was read after it. */
    private void finish(ByteBuf piece, ByteBuf rest) {
        while (rest.isReadable() && isLineEnd(rest.getByte(rest.readerIndex()))) {
            rest.skipBytes(1);
        }
        listener.last(piece, rest.isReadable());
    }

    private void fail(String reason) {
        stop();
        listener.invalid(reason);
    }

    // ---- Bytes of the head ----

    private static boolean isLineEnd(byte value) {
        return value == '\r' || value == '\n';
    }

    /** Returns the end of the line starting at {@code from}, without its CR or LF. */
    private int lineEnd(int from, int length) {
        int lf = indexOf(from, length, (byte) '\n');
        int end = lf < 0 ? length : lf;
        return end > from && head[end - 1] == '\r' ? end - 1 : end;
    }

    /** Returns the start of the line after the one that ends at {@code end}. */
    private int next(int end, int length) {
        int i = end;
        if (i < length && head[i] == '\r') {
            i++;
        }
        return i < length && head[i] == '\n' ? i + 1 : i;
    }

    private int indexOf(int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (head[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private boolean isToken(int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = head[i];
            boolean tchar = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
                    || b > ' ' && b < 0x7f && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    private String fieldName(int from, int to) {
        int length = to - from;
        for (int i = 0; i < COMMON_NAME_BYTES.length; i++) {
            byte[] candidate = COMMON_NAME_BYTES[i];
            if (candidate.length == length && sameBytes(candidate, from)) {
                return COMMON_NAMES[i];
            }
        }
        return new String(head, from, length, StandardCharsets.US_ASCII);
    }

    private boolean sameBytes(byte[] candidate, int from) {
        for (int i = 0; i < candidate.length; i++) {
            if (head[from + i] != candidate[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns the field value between {@code from} and {@code to} without surrounding whitespace, read as
     * ISO-8859-1, or null when it contains a control character other than HTAB (RFC 9110 section 5.5).
     */
    private String fieldValue(int from, int to) {
        int start = from;
        int end = to;
        while (start < end && (head[start] == ' ' || head[start] == '\t')) {
            start++;
        }
        while (end > start && (head[end - 1] == ' ' || head[end - 1] == '\t')) {
            end--;
        }
        for (int i = start; i < end; i++) {
            int b = head[i] & 0xff;
            if (b < ' ' && b != '\t' || b == 0x7f) {
                return null;
            }
        }
        return new String(head, start, end - start, StandardCharsets.ISO_8859_1);
    }

    /** Returns true when the comma-separated list {@code values} contains {@code token}, ignoring case. */
    private static boolean hasToken(String values, String token) {
        if (values == null) {
            return false;
        }
        int start = 0;
        while (start <= values.length()) {
            int comma = values.indexOf(',', start);
            int end = comma < 0 ? values.length() : comma;
            int from = start;
            while (from < end && (values.charAt(from) == ' ' || values.charAt(from) == '\t')) {
                from++;
            }
            int to = end;
            while (to > from && (values.charAt(to - 1) == ' ' || values.charAt(to - 1) == '\t')) {
                to--;
            }
            if (to - from == token.length() && values.regionMatches(true, from, token, 0, token.length())) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /**
     * Returns the length that every value of {@code values} states, or -1 when one is not a number or two differ.
     * Several equal values are read as one (RFC 9110 section 8.6).
     */
    private static long contentLength(String values) {
        long length = -1;
        for (String part : values.split(",", -1)) {
            String digits = part.trim();
            if (digits.isEmpty() || digits.length() > 18) {
                return -1;
            }
            long value = 0;
            for (int i = 0; i < digits.length(); i++) {
                char c = digits.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                value = value * 10 + c - '0';
            }
            if (length >= 0 && value != length) {
                return -1;
            }
            length = value;
        }
        return length;
    }
}
