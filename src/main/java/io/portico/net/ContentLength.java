package io.portico.net;

/** Reads a {@code Content-Length} field value. */
public final class ContentLength {

    private ContentLength() {
    }

    /** Returns the length that {@code value} declares, or -1 when it is absent or not a whole number. */
    public static long parse(String value) {
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
