package io.portico.gateway;

import io.portico.config.ConfigSnapshot;
import io.portico.config.ConsumerSpec;
import io.portico.config.SubscriptionSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The look-up tables of {@link ConsumerAuthorization}, built once per snapshot and shared by every route: the
 * access rules of each consumer that has some, and the active subscriptions by consumer and API.
 */
final class AuthorizationIndex {

    private final Map<String, ConsumerSpec.Access> access;
    private final Map<String, Map<String, List<SubscriptionSpec>>> subscriptions;

    private AuthorizationIndex(Map<String, ConsumerSpec.Access> access,
                               Map<String, Map<String, List<SubscriptionSpec>>> subscriptions) {
        this.access = access;
        this.subscriptions = subscriptions;
    }

    static AuthorizationIndex build(ConfigSnapshot snapshot) {
        Map<String, ConsumerSpec.Access> access = new HashMap<>();
        snapshot.consumers().forEach((name, consumer) -> {
            if (consumer.access() != null) {
                access.put(name, consumer.access());
            }
        });
        Map<String, Map<String, List<SubscriptionSpec>>> subscriptions = new HashMap<>();
        for (SubscriptionSpec subscription : snapshot.subscriptions().values()) {
            // Only an active subscription can admit a call; whether it has expired is checked per request.
            if (SubscriptionSpec.ACTIVE.equals(subscription.status())) {
                subscriptions.computeIfAbsent(subscription.consumer(), consumer -> new HashMap<>())
                        .computeIfAbsent(subscription.api(), api -> new ArrayList<>(1)).add(subscription);
            }
        }
        return new AuthorizationIndex(Map.copyOf(access), subscriptions);
    }

    /** Returns the access rules of {@code consumer}; null when it has none, which allows everything. */
    ConsumerSpec.Access access(String consumer) {
        return access.get(consumer);
    }

    /** Returns true when {@code consumer} has a subscription to {@code api} that is active at {@code now}. */
    boolean subscribed(String consumer, String api, Instant now) {
        Map<String, List<SubscriptionSpec>> byApi = subscriptions.get(consumer);
        List<SubscriptionSpec> active = byApi == null ? null : byApi.get(api);
        if (active == null) {
            return false;
        }
        for (SubscriptionSpec subscription : active) {
            if (subscription.activeAt(now)) {
                return true;
            }
        }
        return false;
    }
}
