package io.portico.testing;

import io.portico.config.Errors;
import io.portico.config.ResourceKind;
import io.portico.config.ServiceSpec;
import io.portico.config.SpecValidator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A validator that reads no file but declares that it does, and records the thread that runs it for services whose
 * name starts with {@link #PREFIX}, so tests can check where the checks that read local files run.
 */
public final class FileCheckThreads implements SpecValidator {

    /** Services whose name starts with this are recorded. */
    public static final String PREFIX = "file-check-thread-";

    private static final List<String> THREADS = new CopyOnWriteArrayList<>();

    @Override
    public void validate(ResourceKind<?> kind, Object spec, Errors errors) {
        if (spec instanceof ServiceSpec service && service.name().startsWith(PREFIX)) {
            THREADS.add(Thread.currentThread().getName());
        }
    }

    @Override
    public boolean readsLocalFiles() {
        return true;
    }

    /** Returns the names of the threads that ran this validator for a recorded service, oldest first. */
    public static List<String> threads() {
        return List.copyOf(THREADS);
    }
}
