package io.portico.cli;

import io.portico.config.ValidationException;
import io.portico.declarative.DeclarativeDocument;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Reads a declarative document from a file, substituting environment variables. */
final class DocumentFile {

    private DocumentFile() {
    }

    /**
     * Reads, parses and validates {@code file}.
     *
     * @throws CliException with every invalid field when the file cannot be read or is invalid
     */
    static DeclarativeDocument read(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CliException.invalidInput("cannot read " + file + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        try {
            return DeclarativeDocument.parse(text, env).requireValid();
        } catch (ValidationException e) {
            throw CliException.invalidInput(file + " is invalid:" + Problems.describe(e));
        }
    }
}
