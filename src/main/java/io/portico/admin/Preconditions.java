package io.portico.admin;

import io.portico.config.Resource;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;

/**
 * The {@code If-Match} and {@code If-None-Match} fields of one admin API request, and their evaluation against the
 * target resource as RFC 9110 section 13 defines it. Every admin endpoint that reads or writes one resource evaluates
 * them here, so that each method and resource kind gets the same status codes.
 *
 * @param ifMatch the {@code If-Match} field lines joined with commas, or null when the request has none
 * @param ifNoneMatch the {@code If-None-Match} field lines joined with commas, or null when the request has none
 */
record Preconditions(String ifMatch, String ifNoneMatch) {

    /**
     * Reads the precondition fields of {@code request}. A field sent on several lines is one comma-separated list
     * (RFC 9110 section 5.3).
     */
    static Preconditions of(HttpServerRequest request) {
        return new Preconditions(joined(request.headers().getAll(HttpHeaders.IF_MATCH)),
                joined(request.headers().getAll(HttpHeaders.IF_NONE_MATCH)));
    }

    private static String joined(List<String> lines) {
        return lines.isEmpty() ? null : String.join(", ", lines);
    }

    /** Returns true when the request carries neither field. */
    boolean absent() {
        return ifMatch == null && ifNoneMatch == null;
    }

    /**
     * Evaluates the fields for a method other than GET and HEAD, in the order of RFC 9110 section 13.2.2: first
     * {@code If-Match}, then {@code If-None-Match}. Either one that does not hold fails the request with 412 (RFC
     * 9110 sections 13.1.1 and 13.1.2).
     *
     * @param key the resource's path below the API base, such as {@code services/web}, for the problem detail
     * @param current the resource, or null when it does not exist
     * @throws Problem 412 {@code precondition-failed} naming the field that does not hold
     */
    void check(String key, Resource current) {
        checkIfMatch(key, current);
        if (ifNoneMatch != null && !ifNoneMatch(ifNoneMatch, current)) {
            throw new Problem(ProblemType.PRECONDITION_FAILED, isAny(ifNoneMatch)
                    ? key + " already exists"
                    : key + " has an ETag that If-None-Match lists: " + current.etag());
        }
    }

    /**
     * Evaluates the fields for GET and HEAD in the order of RFC 9110 section 13.2.2. A false {@code If-Match}
     * fails the request with 412, and a false {@code If-None-Match} makes the response 304 Not Modified.
     *
     * @param current the resource, which exists because a GET of a missing resource gets 404 first
     * @return true when the response is 304
     * @throws Problem 412 {@code precondition-failed} when {@code If-Match} does not hold
     */
    boolean notModified(String key, Resource current) {
        checkIfMatch(key, current);
        return ifNoneMatch != null && !ifNoneMatch(ifNoneMatch, current);
    }

    private void checkIfMatch(String key, Resource current) {
        if (ifMatch == null || ifMatch(ifMatch, current)) {
            return;
        }
        throw new Problem(ProblemType.PRECONDITION_FAILED, current == null ? key + " does not exist"
                : key + " was changed since it was read: its ETag is now " + current.etag());
    }

    /**
     * Returns true when {@code ifMatch} holds for {@code current}: {@code *} matches any existing resource, a list
     * matches when one of its strong ETags equals the resource's. Weak ETags never match (strong comparison).
     *
     * @param current the resource, or null when it does not exist
     */
    static boolean ifMatch(String ifMatch, Resource current) {
        if (current == null) {
            return false;
        }
        if (isAny(ifMatch)) {
            return true;
        }
        for (String tag : ifMatch.split(",")) {
            if (tag.trim().equals(current.etag())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns true when {@code ifNoneMatch} holds for {@code current}: {@code *} holds only when the resource does
     * not exist, a list holds when none of its ETags equals the resource's, compared weakly.
     *
     * @param current the resource, or null when it does not exist
     */
    static boolean ifNoneMatch(String ifNoneMatch, Resource current) {
        if (current == null) {
            return true;
        }
        if (isAny(ifNoneMatch)) {
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

    private static boolean isAny(String field) {
        return field.trim().equals("*");
    }
}
