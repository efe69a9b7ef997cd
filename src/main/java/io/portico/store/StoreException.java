package io.portico.store;

/** Thrown when the configuration database cannot be reached or fails a statement. */
public class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
