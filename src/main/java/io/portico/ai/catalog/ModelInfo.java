package io.portico.ai.catalog;

import java.util.List;
import java.util.Set;

/** A catalog entry: one model of one provider. */
public record ModelInfo(String provider, String id, List<String> aliases, String mode, Integer contextWindow,
                        Integer maxOutputTokens, Set<String> capabilities, ModelPrice price) {

    public boolean supports(String capability) {
        return capabilities != null && capabilities.contains(capability);
    }
}
