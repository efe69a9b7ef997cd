package io.portico.admin;

import io.portico.config.Resource;

/**
 * Evaluates {@code If-Match} and {@code If-None-Match} against a resource's ETag, as RFC 9110 section 13 defines
 * them.
 */
final class Preconditions {

    private Preconditions() {
    }

    /**
     * Returns true when {@code ifMatch} holds for {@code current}: {@code *} matches any existing resource, a list
     * matches when one of its strong ETags equals the resource's. Weak ETags never match.
     *
     * @param current the resource, or null when it does not exist
     */
    static boolean ifMatch(String ifMatch, Resource current) {
        if (current == null) {
            return false;
        }
        if (ifMatch.trim().equals("*")) {
            return true;
        }
        for (String tag : ifMatch.split(",")) {
            if (tag.trim().equals(current.etag())) {
                return true;
            }
        }
        return false;
    }

    /** Returns true when {@code ifNoneMatch} is {@code *}, which holds only while the resource does not exist. */
    static boolean onlyIfAbsent(String ifNoneMatch) {
        return ifNoneMatch != null && ifNoneMatch.trim().equals("*");
    }

    /**
     * Returns true when {@code ifNoneMatch} holds for {@code current}: {@code *} holds only when the resource does
     * not exist, a list holds when none of its ETags equals the resource's, compared weakly.
     */
    static boolean ifNoneMatch(String ifNoneMatch, Resource current) {
        if (current == null) {
            return true;
        }
        if (ifNoneMatch.trim().equals("*")) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String trimmed = tag.trim();
            String opaque = trimmed.startsWith("W/") ? trimmed.substring(2) : trimmed;
            if (opaque.equals(current.etag())) {
                return false;
            }
        }
        return true;
    }
}
