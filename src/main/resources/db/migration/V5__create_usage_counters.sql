-- Usage counters of quotas and budgets, one row per counter and period, shared by every node of the store.
-- Nodes add their increments in batches, so amount is the total of all nodes. kind is quota (calls) or budget
-- (micro-USD). period_start and period_end are UTC, the end exclusive. updated_at is the time of the last write.
CREATE TABLE usage_counters (
    kind VARCHAR(16) NOT NULL,
    scope VARCHAR(200) NOT NULL,
    subject VARCHAR(200) NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    amount BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT usage_counters_pk PRIMARY KEY (kind, scope, subject, period_start)
);

-- Nodes read back the counters of the current periods: those whose end is still ahead.
CREATE INDEX usage_counters_period_end ON usage_counters (period_end);
