package io.portico.cli;

import io.portico.admin.PorticoVersion;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Prints the Portico version. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Prints the Portico version.")
public final class VersionCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("portico " + PorticoVersion.current());
        return ExitCodes.OK;
    }
}
