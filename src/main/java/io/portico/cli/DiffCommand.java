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
            "Lines start with + (create), ~ (update) or - (delete). Each created or updated resource is followed"
                + " by its fields, indented: + added, - removed, ~ changed (old -> new). Secrets are masked as"
                + " secret:sha256:<hash>. The exit code is 0 whether or not there are changes."})
public final class DiffCommand implements Callable<Integer> {

    @ParentCommand
    private PorticoCommand root;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE",
            description = "YAML or JSON document; - reads it from the standard input.")
    private Path file;

    @Mixin
    private ReportFormat reportFormat;

    @Mixin
    private ConnectionOptions connection;

    @Override
    public Integer call() {
        reportFormat.check();
        DeclarativeDocument document = DocumentFile.read(file, root.env(), root.standardInput());
        try (ConfigTarget target = connection.open(root.env(), root.storeFactory())) {
            reportFormat.print(spec.commandLine().getOut(), target.diff(document), true);
        }
        return ExitCodes.OK;
    }
}
