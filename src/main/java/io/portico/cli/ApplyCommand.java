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

/** Makes the configuration equal to a declarative document. */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {"Makes the configuration equal to a declarative document, in one commit.",
            "Resources that the document leaves out are DELETED. $${NAME} in string values is replaced with the"
                + " environment variable NAME before the document is sent; $$$${NAME} stands for a literal $${NAME}."})
public final class ApplyCommand implements Callable<Integer> {

    @ParentCommand
    private PorticoCommand root;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE",
            description = "YAML or JSON document; - reads it from the standard input.")
    private Path file;

    @Option(names = "--dry-run", description = "Print what would change, like diff, and write nothing.")
    private boolean dryRun;

    @Mixin
    private ReportFormat reportFormat;

    @Mixin
    private ConnectionOptions connection;

    @Override
    public Integer call() {
        reportFormat.check();
        DeclarativeDocument document = DocumentFile.read(file, root.env(), root.standardInput());
        try (ConfigTarget target = connection.open(root.env(), root.storeFactory())) {
            if (dryRun) {
                reportFormat.print(spec.commandLine().getOut(), target.diff(document), true);
            } else {
                reportFormat.print(spec.commandLine().getOut(), target.apply(document), false);
            }
        }
        return ExitCodes.OK;
    }
}
