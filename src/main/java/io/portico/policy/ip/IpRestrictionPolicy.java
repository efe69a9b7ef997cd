package io.portico.policy.ip;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.net.IpAddress;
import io.portico.net.IpRange;
import io.portico.net.IpRangeSet;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.PolicySettings;
import io.portico.problem.ProblemType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code ip-restriction} policy: lets a request through only when its client address (see
 * {@link RequestContext#clientIp()}) is in none of the {@code deny} ranges and, when {@code allow} is given, in
 * one of the {@code allow} ranges. Deny wins over allow. Rejected requests end with 403 {@code ip-not-allowed}.
 *
 * <p>Each list is merged into an {@link IpRangeSet} once per configuration, so a request costs two binary
 * searches whatever the number of ranges, and allocates nothing.
 */
final class IpRestrictionPolicy implements Policy {

    static final String NAME = "ip-restriction";
    private static final String ALLOW = "allow";
    private static final String DENY = "deny";
    private static final String DETAIL = "the client address is not allowed on this route";

    /** The allowed ranges, or null when every address not denied is allowed. */
    private final IpRangeSet allow;
    private final IpRangeSet deny;

    private IpRestrictionPolicy(IpRangeSet allow, IpRangeSet deny) {
        this.allow = allow;
        this.deny = deny;
    }

    /** Parses {@code config}, recording each invalid field and range in {@code errors} by its index. */
    static IpRestrictionPolicy parse(ObjectNode config, Errors errors) {
        PolicySettings.rejectUnknownFields(config, Set.of(ALLOW, DENY), errors);
        List<String> allowTexts = PolicySettings.strings(config, ALLOW, errors);
        List<String> denyTexts = PolicySettings.strings(config, DENY, errors);
        if (!config.hasNonNull(ALLOW) && !config.hasNonNull(DENY)) {
            errors.add("", "must contain allow, deny or both");
        }
        List<IpRange> allowed = ranges(allowTexts, ALLOW, errors);
        List<IpRange> denied = ranges(denyTexts, DENY, errors);
        // An allow field given as an empty list allows no address, as it reads.
        IpRangeSet allowSet = config.hasNonNull(ALLOW) ? IpRangeSet.of(allowed) : null;
        return new IpRestrictionPolicy(allowSet, IpRangeSet.of(denied));
    }

    private static List<IpRange> ranges(List<String> texts, String field, Errors errors) {
        List<IpRange> ranges = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            try {
                ranges.add(IpRange.parse(texts.get(i)));
            } catch (IllegalArgumentException e) {
                errors.at(field, i).add("", e.getMessage());
            }
        }
        return ranges;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        IpAddress client = ctx.clientIp();
        if (deny.contains(client) || allow != null && !allow.contains(client)) {
            ctx.fail(ProblemType.IP_NOT_ALLOWED, DETAIL);
            return;
        }
        chain.proceed(ctx);
    }
}
