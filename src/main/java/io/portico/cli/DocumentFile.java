package io.portico.cli;

import io.portico.config.ValidationException;
import io.portico.declarative.DeclarativeDocument;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Reads a declarative document from a file or the standard input, substituting environment variables. */
final class DocumentFile {

    private DocumentFile() {
    }

    /** The file name that means the standard input. */
    static final String STANDARD_INPUT = "-";

    /**
     * Reads, parses and validates {@code file}, or the standard input {@code in} when {@code file} is {@code -}.
     *
     * @throws CliException with every invalid field when the file cannot be read or is invalid
     */
    static DeclarativeDocument read(Path file, Map<String, String> env, InputStream in) {
        boolean standardInput = file.toString().equals(STANDARD_INPUT);
        String name = standardInput ? "the standard input" : file.toString();
        String text;
        try {
            text = standardInput ? new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CliException.invalidInput("cannot read " + name + ": " + IoErrors.describe(e));
        }
        try {
            return DeclarativeDocument.parse(text, env).requireValid();
        } catch (ValidationException e) {
            throw CliException.invalidInput(name + " is invalid:" + Problems.describe(e));
        }
    }
}
