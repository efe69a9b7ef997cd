package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.config.ValidationException;
import io.portico.testing.LogCapture;
import io.vertx.core.transport.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node setting {@code transport}: its sources, its validation and the fallback from unavailable transports. */
class NetworkTransportTest {

    private static final Transport EPOLL = new FakeTransport("epoll", null);
    private static final Transport BLOCKED_IO_URING = new FakeTransport("io_uring",
            new IllegalStateException("io_uring disabled", new UnsupportedOperationException("errno EPERM")));

    @Test
    void defaultIsAuto() {
        assertThat(NodeConfig.defaults().transport()).isEqualTo("auto");
    }

    @Test
    void environmentSetsTransport() {
        NodeConfig node = NodeConfigLoader.load(null, Map.of("PORTICO_TRANSPORT", "IO_URING"), Map.of());

        assertThat(node.transport()).isEqualTo("io_uring");
    }

    @Test
    void commandLineOverridesFileAndEnvironment(@TempDir Path directory) throws IOException {
        Path file = Files.writeString(directory.resolve("node.yaml"), "transport: epoll\n");

        NodeConfig node = NodeConfigLoader.load(file, Map.of("PORTICO_TRANSPORT", "io_uring"),
                Map.of("transport", "nio"));

        assertThat(node.transport()).isEqualTo("nio");
    }

    @Test
    void unknownTransportIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of("PORTICO_TRANSPORT", "kqueue"), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("invalid transport 'kqueue'")
                .hasMessageContaining("auto, epoll, io_uring, nio");
    }

    @Test
    void autoTakesEpollWhenAvailable() {
        assertThat(NetworkTransport.select("auto", EPOLL, BLOCKED_IO_URING)).isSameAs(EPOLL);
    }

    @Test
    void autoTakesNioWithoutEpoll() {
        Transport blockedEpoll = new FakeTransport("epoll", new IllegalStateException("not Linux"));

        assertThat(NetworkTransport.select("auto", blockedEpoll, null)).isSameAs(Transport.NIO);
        assertThat(NetworkTransport.select("auto", null, null)).isSameAs(Transport.NIO);
    }

    @Test
    void explicitChoicesAreTaken() {
        Transport ioUring = new FakeTransport("io_uring", null);

        assertThat(NetworkTransport.select("io_uring", EPOLL, ioUring)).isSameAs(ioUring);
        assertThat(NetworkTransport.select("epoll", EPOLL, ioUring)).isSameAs(EPOLL);
        assertThat(NetworkTransport.select("nio", EPOLL, ioUring)).isSameAs(Transport.NIO);
    }

    @Test
    void unavailableIoUringFallsBackToAuto() {
        try (LogCapture log = new LogCapture(NetworkTransport.class)) {
            Transport selected = NetworkTransport.select("io_uring", EPOLL, BLOCKED_IO_URING);

            assertThat(selected).isSameAs(EPOLL);
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .contains("io_uring transport is unavailable")
                    .contains("uses epoll instead")
                    .contains("io_uring disabled")
                    .contains("errno EPERM");
        }
    }

    @Test
    void missingEpollClassesFallBackToNio() {
        try (LogCapture log = new LogCapture(NetworkTransport.class)) {
            Transport selected = NetworkTransport.select("epoll", null, null);

            assertThat(selected).isSameAs(Transport.NIO);
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .contains("epoll transport is unavailable")
                    .contains("uses nio instead")
                    .contains("not on the class path");
        }
    }

    @Test
    void availableChoiceLogsNoWarning() {
        try (LogCapture log = new LogCapture(NetworkTransport.class)) {
            NetworkTransport.select("epoll", EPOLL, null);
            NetworkTransport.select("auto", null, null);

            assertThat(log.messages(Level.WARN)).isEmpty();
        }
    }

    /** A transport whose availability the test sets; available when {@code cause} is null. */
    private record FakeTransport(String name, Throwable unavailabilityCause) implements Transport {
        @Override
        public boolean available() {
            return unavailabilityCause == null;
        }

        @Override
        public io.vertx.core.spi.transport.Transport implementation() {
            throw new UnsupportedOperationException("a test transport has no implementation");
        }
    }
}
