package io.portico.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands that print a document or a report keep log lines out of standard output. Each command runs in its own
 * JVM, so that logback starts from its configuration as it does for the installed command.
 */
class LogOutputTest {

    private static final String DOCUMENT = """
            services:
              - name: web
                targets: [{host: 127.0.0.1, port: 8081}]
            """;

    @TempDir
    Path directory;

    @Test
    void embeddedCommandsPrintOnlyDocuments() throws Exception {
        Path dataDirectory = directory.resolve("data");
        Path file = directory.resolve("portico.yaml");
        Files.writeString(file, DOCUMENT);

        Result apply = run("apply", "--embedded", "--data-dir", dataDirectory.toString(), "--format", "json",
                "-f", file.toString());
        Result diff = run("diff", "--embedded", "--data-dir", dataDirectory.toString(), "--format", "json",
                "-f", file.toString());
        Result export = run("export", "--embedded", "--data-dir", dataDirectory.toString());

        assertThat(apply.exitCode()).as(apply.error()).isZero();
        JsonNode applied = Json.MAPPER.readTree(apply.output());
        assertThat(applied.path("created").get(0).asText()).isEqualTo("services/web");
        assertThat(diff.exitCode()).as(diff.error()).isZero();
        assertThat(Json.MAPPER.readTree(diff.output()).path("unchanged").asInt()).isEqualTo(1);
        assertThat(export.exitCode()).as(export.error()).isZero();
        assertThat(export.output()).startsWith("format: 1\n");
        assertThat(export.error()).as("the log lines go to standard error").contains("JdbcConfigStore");
    }

    private Result run(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), PorticoCommand.class.getName()));
        command.addAll(List.of(arguments));
        Path output = directory.resolve("stdout");
        Path error = directory.resolve("stderr");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(output.toFile())
                .redirectError(error.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("PORTICO_"));
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("portico " + String.join(" ", arguments) + " did not exit within 60 s");
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8),
                Files.readString(error, StandardCharsets.UTF_8));
    }

    private record Result(int exitCode, String output, String error) {
    }
}
