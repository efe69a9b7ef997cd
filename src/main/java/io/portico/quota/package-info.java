/**
 * Usage counters of calendar periods (days and months) shared by the nodes of one store: quotas of calls and
 * budgets of spend. Each node counts in memory and flushes its increments to the store in batches.
 */
package io.portico.quota;
