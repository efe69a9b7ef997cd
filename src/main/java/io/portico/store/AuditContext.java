package io.portico.store;

import static java.util.Objects.requireNonNull;

/**
 * Who makes a change and from where, recorded with every change in the audit log.
 *
 * @param actor the admin user ({@code user:NAME}), token ({@code token:ID}) or program that makes the change
 * @param requestId the admin request id, or null when the change comes from no request
 * @param clientAddress the client's IP address, or null when the change comes from no request
 */
public record AuditContext(String actor, String requestId, String clientAddress) {

    /** The actor of changes made without naming one, such as by tests and tools that call the store directly. */
    public static final AuditContext UNATTRIBUTED = new AuditContext("system", null, null);

    public AuditContext {
        requireNonNull(actor, "actor");
    }
}
