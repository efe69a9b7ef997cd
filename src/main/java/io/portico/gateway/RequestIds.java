package io.portico.gateway;

import java.util.concurrent.ThreadLocalRandom;

/** Generates request ids and checks the ones clients send. */
final class RequestIds {

    private static final int MAX_LENGTH = 128;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() {
    }

    /** Returns {@code candidate} when it is a safe id to propagate, otherwise a new random id. */
    static String propagateOrGenerate(String candidate) {
        return isValid(candidate) ? candidate : generate();
    }

    /** Returns 32 random hex digits; unique enough to correlate logs, not a secret. */
    static String generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[32];
        long high = random.nextLong();
        long low = random.nextLong();
        for (int i = 0; i < 16; i++) {
            id[i] = HEX[(int) (high >>> (60 - 4 * i)) & 0xf];
            id[16 + i] = HEX[(int) (low >>> (60 - 4 * i)) & 0xf];
        }
        return new String(id);
    }

    /** Accepts 1 to 128 characters of letters, digits and {@code - _ . :}, so the id is safe in headers and logs. */
    static boolean isValid(String candidate) {
        if (candidate == null || candidate.isEmpty() || candidate.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '_' || c == '.' || c == ':';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }
}
