package io.portico.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.pipeline.ResponseTap;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order in which {@link TappedReadStream} reports a body to its tap and to the relay. */
class TappedReadStreamTest {

    private final List<String> events = new ArrayList<>();
    private final Source source = new Source();
    private final TappedReadStream tapped = new TappedReadStream(source, new RecordingTap());

    @Test
    void tapSeesEndBeforeRelay() {
        tapped.handler(data -> events.add("relay chunk " + data));
        tapped.endHandler(end -> events.add("relay end"));

        source.data.handle(Buffer.buffer("a"));
        source.end.handle(null);
        tapped.abort();

        assertThat(events).containsExactly("tap chunk a", "relay chunk a", "tap end", "relay end");
    }

    @Test
    void abortBeforeEndReachesTap() {
        tapped.handler(data -> events.add("relay chunk " + data));
        tapped.endHandler(end -> events.add("relay end"));

        source.data.handle(Buffer.buffer("a"));
        tapped.abort();
        tapped.abort();

        assertThat(events).containsExactly("tap chunk a", "relay chunk a", "tap abort");
    }

    private final class RecordingTap implements ResponseTap {
        @Override
        public boolean head(int status, MultiMap headers) {
            return true;
        }

        @Override
        public void chunk(Buffer data) {
            events.add("tap chunk " + data);
        }

        @Override
        public void end() {
            events.add("tap end");
        }

        @Override
        public void abort() {
            events.add("tap abort");
        }
    }

    /** A source whose handlers the test calls directly. */
    private static final class Source implements ReadStream<Buffer> {
        Handler<Buffer> data;
        Handler<Void> end;

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            return this;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> handler) {
            data = handler;
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            return this;
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> handler) {
            end = handler;
            return this;
        }
    }
}
