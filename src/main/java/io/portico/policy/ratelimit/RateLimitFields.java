package io.portico.policy.ratelimit;

import io.netty.util.AsciiString;
import io.portico.pipeline.RequestContext;
import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The rate limit fields of one response, combined from every {@code rate-limit} policy that checked the request: a
 * route's, its API's, global and consumer attachments. Each policy's limits become items of one
 * {@code RateLimit-Policy} and one {@code RateLimit} field, in the order the policies checked the request, so no
 * policy overwrites another's. The draft identifies each policy by its item's name, so an item whose limit name an
 * earlier item of the response already uses is named {@code NAME-2}, or {@code NAME-3} and so on: the first
 * suffix that is free. An item's name therefore depends only on the policies that checked the request before it.
 * {@code X-RateLimit-*} describe the limit closest to exhaustion among the limits of every policy that enables them.
 */
final class RateLimitFields implements Consumer<MultiMap> {

    private static final String ATTRIBUTE = "rate-limit.fields";

    private final List<Check> checks = new ArrayList<>(2);

    private RateLimitFields() {
    }

    /**
     * Adds the verdict of one policy to the fields of the response to {@code ctx}, which are written just before
     * the response headers are sent.
     *
     * @param key the request's key in that policy, which partition keys are computed from
     */
    static void record(RequestContext ctx, RateLimitHeaders headers, Verdict verdict, String key) {
        RateLimitFields fields = ctx.attribute(ATTRIBUTE);
        if (fields == null) {
            fields = new RateLimitFields();
            ctx.attribute(ATTRIBUTE, fields);
            ctx.onResponseHeaders(fields);
        }
        fields.checks.add(new Check(headers, verdict, key));
    }

    /** Sets the fields on the response headers. */
    @Override
    public void accept(MultiMap headers) {
        setDraftFields(headers);
        setLegacyFields(headers);
    }

    private void setDraftFields(MultiMap headers) {
        Check only = null;
        int count = 0;
        for (Check check : checks) {
            if (check.headers.draft()) {
                only = check;
                count++;
            }
        }
        if (count == 1) {
            only.headers.setDraftFields(headers, only.verdict, only.headers.partitionKey(only.key));
            return;
        }
        if (count == 0) {
            return;
        }
        StringBuilder policy = new StringBuilder();
        StringBuilder state = new StringBuilder();
        Set<String> usedNames = new HashSet<>();
        for (Check check : checks) {
            if (check.headers.draft()) {
                String[] names = itemNames(check.headers, usedNames);
                String pk = check.headers.partitionKey(check.key);
                check.headers.appendPolicyItems(policy, names, pk);
                check.headers.appendStateItems(state, names, check.verdict, pk);
            }
        }
        headers.set(RateLimitHeaders.POLICY_NAME, AsciiString.of(policy));
        headers.set(RateLimitHeaders.STATE_NAME, AsciiString.of(state));
    }

    /**
     * Returns the item names of the limits of {@code headers}, and adds them to {@code usedNames}. A limit keeps
     * its name unless an earlier item uses it. Otherwise it gets the first of {@code NAME-2}, {@code NAME-3}, ...
     * that is neither used nor the name of another limit of the same policy.
     */
    private static String[] itemNames(RateLimitHeaders headers, Set<String> usedNames) {
        List<Limit> limits = headers.limits();
        String[] names = new String[limits.size()];
        for (int i = 0; i < names.length; i++) {
            String name = limits.get(i).name();
            if (usedNames.contains(name)) {
                int suffix = 2;
                while (usedNames.contains(name + "-" + suffix) || headers.hasLimit(name + "-" + suffix)) {
                    suffix++;
                }
                name = name + "-" + suffix;
            }
            usedNames.add(name);
            names[i] = name;
        }
        return names;
    }

    /**
     * Sets {@code X-RateLimit-*} to the limit closest to exhaustion: the fewest requests remaining, then the
     * longest wait for its quota.
     */
    private void setLegacyFields(MultiMap headers) {
        Limit tightest = null;
        Outcome tightestOutcome = null;
        for (Check check : checks) {
            if (!check.headers.legacy()) {
                continue;
            }
            Outcome[] outcomes = check.verdict.outcomes();
            for (int i = 0; i < outcomes.length; i++) {
                Outcome candidate = outcomes[i];
                if (tightestOutcome == null || candidate.remaining() < tightestOutcome.remaining()
                        || candidate.remaining() == tightestOutcome.remaining()
                        && candidate.resetMicros() > tightestOutcome.resetMicros()) {
                    tightest = check.headers.limits().get(i);
                    tightestOutcome = candidate;
                }
            }
        }
        if (tightest == null) {
            return;
        }
        headers.set(RateLimitHeaders.LEGACY_LIMIT, Long.toString(RateLimitHeaders.quota(tightest)));
        headers.set(RateLimitHeaders.LEGACY_REMAINING, Long.toString(tightestOutcome.remaining()));
        headers.set(RateLimitHeaders.LEGACY_RESET,
                Long.toString(RateLimitHeaders.seconds(RateLimitHeaders.effectiveWindow(tightestOutcome))));
    }

    /** The verdict of one policy for the request. */
    private record Check(RateLimitHeaders headers, Verdict verdict, String key) {
    }
}
