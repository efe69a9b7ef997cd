package io.portico.store;

/**
 * Thrown when a write conflicts with the stored state: the resource already exists, or its revision is not
 * the one the writer expected.
 */
public final class ConflictException extends StoreException {

    private final boolean revisionMismatch;

    public ConflictException(String message, boolean revisionMismatch) {
        super(message);
        this.revisionMismatch = revisionMismatch;
    }

    /** True when the conflict is a failed If-Match precondition rather than an existing resource. */
    public boolean revisionMismatch() {
        return revisionMismatch;
    }
}
