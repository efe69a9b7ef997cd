package io.portico.config;

/**
 * The syntax of header field values that Portico writes: a value of RFC 9110 section 5.5 may contain visible
 * characters, spaces, horizontal tabs and obs-text (0x80 to 0xFF), and no other control character. Vert.x 5.0.7
 * throws on a value with such a control character when it writes the header, so a configured value must be checked
 * before it is stored.
 */
public final class HeaderValues {

    /** The message of a configured value that {@link #isValid} rejects. */
    public static final String INVALID = "must not contain control characters other than HTAB (such as CR, LF, NUL, "
            + "ESC or DEL) or characters outside ISO-8859-1";

    private HeaderValues() {
    }

    /**
     * Returns true when {@code value} contains only HTAB, characters from 0x20 to 0x7E and characters from 0x80 to
     * 0xFF. CR, LF and NUL would end a header line or the header section and let a value inject headers of its own.
     */
    public static boolean isValid(CharSequence value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }
}
