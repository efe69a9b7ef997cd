package io.portico.node;

import io.vertx.core.transport.Transport;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the Netty transport that the node's event loops, listeners and outbound connections use, from the node
 * setting {@code transport}.
 *
 * <p>{@code auto} takes epoll when its native library loads, else NIO. {@code epoll} and {@code io_uring} ask for
 * that native transport; when it cannot be used (another operating system, a kernel without io_uring, a seccomp
 * profile that blocks it, or the sysctl {@code kernel.io_uring_disabled}), one WARN line names it and the cause,
 * and the node continues as with {@code auto}. {@code nio} is the JDK's selector-based transport.
 */
public final class NetworkTransport {

    /** The values of the node setting {@code transport}. */
    public static final List<String> NAMES = List.of("auto", "epoll", "io_uring", "nio");

    private static final Logger LOG = LoggerFactory.getLogger(NetworkTransport.class);

    private NetworkTransport() {
    }

    /**
     * Returns the transport for the setting {@code name}, one of {@link #NAMES}.
     *
     * @throws IllegalArgumentException when {@code name} is not one of {@link #NAMES}
     */
    public static Transport select(String name) {
        return select(name, Transport.EPOLL, Transport.IO_URING);
    }

    /**
     * Returns the transport for the setting {@code name}, given the epoll and io_uring transports of this process.
     * Either is null when its classes are not on the class path.
     */
    static Transport select(String name, Transport epoll, Transport ioUring) {
        return switch (name) {
            case "auto" -> auto(epoll);
            case "nio" -> Transport.NIO;
            case "epoll" -> nativeOrAuto(name, epoll, epoll);
            case "io_uring" -> nativeOrAuto(name, ioUring, epoll);
            default -> throw new IllegalArgumentException("invalid transport '" + name + "': expected one of "
                    + String.join(", ", NAMES));
        };
    }

    private static Transport auto(Transport epoll) {
        return epoll != null && epoll.available() ? epoll : Transport.NIO;
    }

    private static Transport nativeOrAuto(String name, Transport requested, Transport epoll) {
        if (requested != null && requested.available()) {
            return requested;
        }
        Transport fallback = auto(epoll);
        LOG.warn("The {} transport is unavailable, so the node uses {} instead: {}", name, fallback.name(),
                cause(requested));
        return fallback;
    }

    /** Returns why {@code transport} cannot be used, in one line. */
    private static String cause(Transport transport) {
        if (transport == null) {
            return "its Netty classes are not on the class path";
        }
        Throwable cause = transport.unavailabilityCause();
        if (cause == null) {
            return "no cause reported";
        }
        // The native loader wraps the reason of each library it tried, and the innermost one names the failure.
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == cause ? cause.toString() : cause + " (" + root + ")";
    }
}
