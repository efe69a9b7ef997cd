/** The web console, served by the control plane on top of the admin API. */
package io.portico.console;
