package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A public model name that AI clients ask for, served by one or more provider models.
 *
 * @param name the name clients send in the {@code model} field
 * @param strategy how a target is chosen: {@code fallback} (in order, the next on failure; the default),
 *     {@code weighted} (by weight, the others as fallbacks), {@code least-latency} (lowest recent latency first)
 *     or {@code least-busy} (fewest requests in flight first)
 * @param targets the provider models, each named by provider and model id
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VirtualModelSpec(String name, String strategy,
                               @Required(message = "must list at least one provider model") List<Target> targets) {

    /** Virtual model names: no '/', which would make them look like {@code provider/model} names. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}");
    public static final Set<String> STRATEGIES = Set.of("fallback", "weighted", "least-latency", "least-busy");

    public VirtualModelSpec {
        strategy = strategy == null ? "fallback" : strategy;
        targets = targets == null ? List.of() : List.copyOf(targets);
    }

    /**
     * One provider model behind a virtual model.
     *
     * @param provider name of a configured provider
     * @param model the model id the provider knows
     * @param weight share of requests under the {@code weighted} strategy; 1 when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Target(String provider, String model, Integer weight) {
        public Target {
            weight = weight == null ? 1 : weight;
        }
    }

    /** Records every invalid field of this virtual model into {@code errors}. */
    public void validate(Errors errors) {
        errors.required(name, "name");
        if (name != null) {
            errors.check(NAME.matcher(name).matches(), "name", "must be 1-256 letters, digits, '.', '_', '-', ':'"
                    + " or '@', starting with a letter or digit; '/' is kept for provider/model names");
        }
        errors.check(STRATEGIES.contains(strategy), "strategy",
                "must be fallback, weighted, least-latency or least-busy");
        errors.check(!targets.isEmpty(), "targets", "must list at least one provider model");
        errors.check(!"weighted".equals(strategy) || targets.stream().anyMatch(t -> t != null && t.weight() > 0),
                "targets", "must give at least one target a positive weight under the weighted strategy");
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            Errors at = errors.at("targets", i);
            if (target == null) {
                at.add("", "must be an object with provider and model");
                continue;
            }
            at.required(target.provider(), "provider");
            at.required(target.model(), "model");
            at.check(target.weight() >= 0 && target.weight() <= 1000, "weight", "must be between 0 and 1000");
        }
    }
}
