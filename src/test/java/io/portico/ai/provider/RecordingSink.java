package io.portico.ai.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Usage;
import java.util.ArrayList;
import java.util.List;

/**
 * A sink that keeps what a stream translator emits, with chunk ids and times removed for exact comparisons. Each
 * chunk is recorded as its delta, then {@code finish=REASON} when it has one, then {@code choice=N} for a choice
 * other than 0.
 */
public final class RecordingSink implements ChunkSink {

    public final List<String> deltas = new ArrayList<>();
    public Usage usage = Usage.NONE;
    public AiError error;

    @Override
    public void chunk(ObjectNode chunk) {
        ObjectNode choice = (ObjectNode) chunk.get("choices").get(0);
        String finish = choice.get("finish_reason").isNull() ? "" : " finish=" + choice.get("finish_reason").asText();
        int index = choice.get("index").asInt();
        deltas.add(choice.get("delta").toString() + finish + (index == 0 ? "" : " choice=" + index));
    }

    @Override
    public void usage(Usage reported) {
        usage = usage.merge(reported);
    }

    @Override
    public void fail(AiError failure) {
        error = failure;
    }
}
