package io.portico.declarative;

import java.util.Locale;
import java.util.Optional;

/** The text formats a declarative document can be written in. */
public enum DocumentFormat {
    JSON("application/json"),
    YAML("application/yaml");

    private final String mediaType;

    DocumentFormat(String mediaType) {
        this.mediaType = mediaType;
    }

    /** Returns the media type sent in {@code Content-Type} for this format. */
    public String mediaType() {
        return mediaType;
    }

    /**
     * Returns the format a media type or a format name ({@code json}, {@code yaml}, {@code yml}) denotes, ignoring
     * parameters such as {@code charset}; empty for any other value.
     */
    public static Optional<DocumentFormat> of(String mediaTypeOrName) {
        if (mediaTypeOrName == null) {
            return Optional.empty();
        }
        String type = mediaTypeOrName.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        switch (type) {
            case "json":
            case "application/json":
                return Optional.of(JSON);
            case "yaml":
            case "yml":
            case "application/yaml":
            case "application/x-yaml":
            case "text/yaml":
            case "text/x-yaml":
                return Optional.of(YAML);
            default:
                return type.startsWith("application/") && type.endsWith("+json") ? Optional.of(JSON)
                        : type.endsWith("+yaml") ? Optional.of(YAML) : Optional.empty();
        }
    }
}
