package io.portico.policy.budget;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.FieldError;
import io.portico.config.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The range of budget amounts: 0, or from one micro-USD to the largest amount a counter holds. */
class BudgetAmountTest {

    @Test
    void hugeAmountIsRejected() {
        List<FieldError> errors = errors("consumer", "1e20");

        assertThat(errors).extracting(FieldError::field).containsExactly("budgets[0].amount");
        assertThat(errors.get(0).message()).isEqualTo("must be at most 1000000000000 USD");
    }

    @Test
    void hugeKeyAmountIsRejected() {
        assertThat(errors("key", "9300000000000")).extracting(FieldError::field)
                .containsExactly("budgets[0].amount");
    }

    @Test
    void amountBelowOneMicroIsRejected() {
        List<FieldError> errors = errors("team", "0.0000001");

        assertThat(errors).extracting(FieldError::field).containsExactly("budgets[0].amount");
        assertThat(errors.get(0).message()).contains("0 or at least 0.000001 USD");
    }

    @Test
    void boundaryAmountsAreAccepted() {
        assertThat(micros("0")).isZero();
        assertThat(micros("0.000001")).isEqualTo(1);
        assertThat(micros("1000000000000")).isEqualTo(1_000_000_000_000_000_000L);
    }

    private static List<FieldError> errors(String by, String amount) {
        Errors errors = new Errors();
        BudgetPolicy.parse(config(by, amount), errors);
        return errors.list();
    }

    private static long micros(String amount) {
        Errors errors = new Errors();
        BudgetPolicy.Settings settings = BudgetPolicy.parse(config("consumer", amount), errors);
        assertThat(errors.list()).isEmpty();
        return settings.budgets().get(0).micros();
    }

    private static ObjectNode config(String by, String amount) {
        try {
            return (ObjectNode) Json.MAPPER.readTree("{\"budgets\":[{\"by\":\"" + by + "\",\"amount\":" + amount
                    + ",\"period\":\"day\"}]}");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
