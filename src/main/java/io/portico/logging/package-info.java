/**
 * Helpers for log lines that any package may use, such as the rate limit of a repeated WARN line. This package
 * depends on no other Portico package, so using it cannot create a package cycle.
 */
package io.portico.logging;
