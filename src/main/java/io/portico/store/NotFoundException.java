package io.portico.store;

/** Thrown when a resource to update or delete does not exist. */
public final class NotFoundException extends StoreException {

    public NotFoundException(String kind, String name) {
        super(kind + "/" + name + " does not exist");
    }
}
