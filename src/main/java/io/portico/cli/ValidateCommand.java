package io.portico.cli;

import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.declarative.DeclarativeDocument;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Checks a declarative document offline. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks a declarative document without contacting Portico: syntax, environment variables,"
            + " every field, duplicate names, references between resources, and the upstream TLS files that"
            + " services name, which must exist on this machine.",
            "Exits with 1 and lists every invalid field when the document is invalid."})
public final class ValidateCommand implements Callable<Integer> {

    @ParentCommand
    private PorticoCommand root;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE",
            description = "YAML or JSON document; - reads it from the standard input.")
    private Path file;

    @Override
    public Integer call() {
        DeclarativeDocument document = DocumentFile.read(file, root.env(), root.standardInput());
        StringJoiner counts = new StringJoiner(", ");
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            counts.add(kind.name() + ": " + document.resources(kind).size());
        }
        spec.commandLine().getOut().println(file + " is valid: " + counts + ".");
        return ExitCodes.OK;
    }
}
