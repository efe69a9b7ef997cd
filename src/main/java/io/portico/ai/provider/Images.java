package io.portico.ai.provider;

import java.util.Base64;

/**
 * Image helpers: parses data URIs and corrects a declared media type that disagrees with the image's bytes, which
 * providers reject.
 */
public final class Images {

    private Images() {
    }

    /**
     * A base64 data URI.
     *
     * @param mediaType the media type of the bytes: the declared one, or the detected one when they disagree
     * @param base64 the base64 payload
     */
    public record DataUri(String mediaType, String base64) {
    }

    /** Parses a {@code data:<type>;base64,<payload>} URI, or returns null for any other URL. */
    public static DataUri parseDataUri(String url) {
        if (url == null || !url.startsWith("data:")) {
            return null;
        }
        int comma = url.indexOf(',');
        if (comma < 0) {
            return null;
        }
        String header = url.substring(5, comma);
        if (!header.endsWith(";base64")) {
            return null;
        }
        String declared = header.substring(0, header.length() - ";base64".length());
        String payload = url.substring(comma + 1);
        String detected = detect(payload);
        return new DataUri(detected != null ? detected : declared.isEmpty() ? "image/png" : declared, payload);
    }

    /** Detects the image type from the first bytes of a base64 payload; null when unknown. */
    public static String detect(String base64) {
        byte[] head;
        try {
            String prefix = base64.substring(0, Math.min(base64.length(), 24));
            head = Base64.getDecoder().decode(prefix.substring(0, prefix.length() - prefix.length() % 4));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (starts(head, 0x89, 'P', 'N', 'G')) {
            return "image/png";
        }
        if (starts(head, 0xFF, 0xD8, 0xFF)) {
            return "image/jpeg";
        }
        if (starts(head, 'G', 'I', 'F', '8')) {
            return "image/gif";
        }
        if (head.length >= 12 && starts(head, 'R', 'I', 'F', 'F') && head[8] == 'W' && head[9] == 'E'
                && head[10] == 'B' && head[11] == 'P') {
            return "image/webp";
        }
        return null;
    }

    private static boolean starts(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
