package io.portico.cli;

import io.portico.declarative.DeclarativeDocument;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Shows what applying a declarative document would change. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Shows what applying a declarative document would change, and writes nothing.",
            "Lines start with + (create), ~ (update) or - (delete). The exit code is 0 whether or not there are"
                + " changes."})
public final class DiffCommand implements Callable<Integer> {

    @ParentCommand
    private PorticoCommand root;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE",
            description = "YAML or JSON document; - reads it from the standard input.")
    private Path file;

    @Mixin
    private ConnectionOptions connection;

    @Override
    public Integer call() {
        DeclarativeDocument document = DocumentFile.read(file, root.env(), root.standardInput());
        try (ConfigTarget target = connection.open(root.env(), root.storeFactory())) {
            ReportPrinter.planned(spec.commandLine().getOut(), target.diff(document));
        }
        return ExitCodes.OK;
    }
}
