package io.portico.node;

import static org.assertj.core.api.Assumptions.assumeThat;

import io.vertx.core.transport.Transport;

/** A node on the io_uring transport, skipped where the kernel, a seccomp profile or a sysctl disables io_uring. */
class IoUringTransportTest extends ProxyOverTransport {

    @Override
    String transport() {
        return "io_uring";
    }

    @Override
    void assumeAvailable() {
        assumeThat(Transport.IO_URING).as("io_uring classes on the class path").isNotNull();
        assumeThat(Transport.IO_URING.available())
                .as("io_uring available: %s", Transport.IO_URING.unavailabilityCause())
                .isTrue();
    }
}
