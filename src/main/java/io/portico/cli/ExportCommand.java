package io.portico.cli;

import io.portico.declarative.DocumentFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Writes the whole configuration as a declarative document. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes the whole configuration as a declarative document.",
            "Secrets are masked as secret:sha256:<hash>; applying the document again keeps the stored secrets.",
            "Each $${ in a value gets a second $, so applying the document expands no environment variable."})
public final class ExportCommand implements Callable<Integer> {

    @ParentCommand
    private PorticoCommand root;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of stdout.")
    private Path output;

    @Option(names = "--format", paramLabel = "yaml|json",
            description = "Document format. Default: json when FILE ends in .json, else yaml.")
    private String format;

    @Mixin
    private ConnectionOptions connection;

    @Override
    public Integer call() {
        DocumentFormat chosen = chosenFormat();
        String text;
        try (ConfigTarget target = connection.open(root.env(), root.storeFactory())) {
            text = target.export(chosen);
        }
        if (output == null) {
            spec.commandLine().getOut().print(text);
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
        try {
            Files.writeString(output, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CliException.invalidInput("cannot write " + output + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        spec.commandLine().getErr().println("Wrote " + output);
        return ExitCodes.OK;
    }

    private DocumentFormat chosenFormat() {
        if (format != null) {
            return DocumentFormat.of(format).orElseThrow(
                    () -> CliException.invalidInput("invalid --format '" + format + "': use yaml or json"));
        }
        boolean json = output != null && output.toString().toLowerCase(Locale.ROOT).endsWith(".json");
        return json ? DocumentFormat.JSON : DocumentFormat.YAML;
    }
}
