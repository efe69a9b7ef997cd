package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

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
public record VirtualModelSpec(
        @Required @Matches(value = VirtualModelSpec.NAME, message = "must be 1-256 letters, digits, '.', '_', '-', ':'"
                + " or '@', starting with a letter or digit; '/' is kept for provider/model names") String name,
        @OneOf({"fallback", "weighted", "least-latency", "least-busy"}) String strategy,
        @Required(message = "must list at least one provider model") List<Target> targets) {

    /** Virtual model names: no '/', which would make them look like {@code provider/model} names. */
    public static final String NAME = "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}$";

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
    public record Target(@Required @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String provider,
                         @Required String model, @Range(min = 0, max = 1000) Integer weight) {
        public Target {
            weight = weight == null ? 1 : weight;
        }
    }

    /** Records every invalid field of this virtual model into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        errors.check(!"weighted".equals(strategy) || targets.stream().anyMatch(t -> t != null && t.weight() > 0),
                "targets", "must give at least one target a positive weight under the weighted strategy");
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            Errors at = errors.at("targets", i);
            if (target == null) {
                at.add("", "must be an object with provider and model");
                continue;
            }
            FieldRules.check(target, at);
        }
    }
}
