package io.portico.net;

import java.util.List;

/** The rule for the Transfer-Encoding of responses that Portico reads from upstreams and providers. */
public final class TransferCodings {

    private TransferCodings() {
    }

    /**
     * Returns true when {@code values}, the Transfer-Encoding field lines of a response, name one coding: chunked.
     * Portico sends no TE field, so a server may apply no other transfer coding (RFC 9112 section 6.1).
     */
    public static boolean isChunkedAlone(List<String> values) {
        return values.size() == 1 && isChunkedAlone(values.get(0));
    }

    /** Returns true when {@code value}, one Transfer-Encoding value or several joined with commas, is chunked alone. */
    public static boolean isChunkedAlone(String value) {
        return value.indexOf(',') < 0 && value.trim().equalsIgnoreCase("chunked");
    }
}
