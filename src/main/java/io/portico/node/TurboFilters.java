package io.portico.node;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/** Adds Portico's Logback turbo filters. */
final class TurboFilters {

    private TurboFilters() {
    }

    /**
     * Adds the filter that {@code factory} creates unless the logger context has one of {@code type} already. Does
     * nothing when SLF4J logs to a backend other than Logback.
     */
    static void installOnce(Class<? extends TurboFilter> type, Supplier<? extends TurboFilter> factory) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        synchronized (context) {
            if (context.getTurboFilterList().stream().noneMatch(type::isInstance)) {
                TurboFilter filter = factory.get();
                filter.setContext(context);
                filter.start();
                context.addTurboFilter(filter);
            }
        }
    }
}
