package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldRulesTest {

    @Test
    void requiredFieldsAreRejectedWhenMissing() {
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            for (RecordComponent component : kind.type().getRecordComponents()) {
                if (!component.isAnnotationPresent(Required.class)) {
                    continue;
                }
                ObjectNode spec = JsonNodeFactory.instance.objectNode();
                if (!component.getName().equals("name")) {
                    spec.put("name", "x");
                }

                ValidationException failure = catchThrowableOfType(ValidationException.class,
                        () -> kind.parse(spec));

                assertThat(failure).as("%s without %s", kind, component.getName()).isNotNull();
                assertThat(failure.errors()).as("%s without %s", kind, component.getName())
                        .extracting(FieldError::field).contains(component.getName());
            }
        }
    }

    @Test
    void boundsAreStatedInMessages() {
        Errors errors = new Errors();
        FieldRules.check(new CircuitBreakerSpec(0, 100, Duration.ZERO, Duration.ofMillis(500), 1, null, 101),
                errors);

        assertThat(errors.list()).containsExactly(
                new FieldError("failureRateThreshold", "must be a percentage between 1 and 100"),
                new FieldError("slowCallDuration", "must be positive"),
                new FieldError("window", "must be between 1s and 10m"),
                new FieldError("halfOpenCalls", "must be between 1 and 100"));
    }

    @Test
    void listElementsAreCheckedOneByOne() {
        Errors errors = new Errors();
        FieldRules.check(new ServiceSpec.Retries(0, List.of(200, 99, 600), 1.5, -1), errors);

        assertThat(errors.list()).containsExactly(
                new FieldError("attempts", "must be between 1 and 10"),
                new FieldError("statuses[1]", "must be an HTTP status between 100 and 599"),
                new FieldError("statuses[2]", "must be an HTTP status between 100 and 599"),
                new FieldError("budget", "must be between 0 and 1"),
                new FieldError("minRetriesPerSecond", "must not be negative"));
    }

    @Test
    void choicesIgnoreCaseWhenMarked() {
        Errors errors = new Errors();
        FieldRules.check(new ServiceSpec.LoadBalancing("Round-Robin", "header:X"), errors);

        assertThat(errors.list()).containsExactly(new FieldError("algorithm",
                "invalid value 'Round-Robin': expected one of round-robin, least-connections, consistent-hash,"
                        + " least-latency"));
    }
}
