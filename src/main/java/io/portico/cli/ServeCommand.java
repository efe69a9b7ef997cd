package io.portico.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Starts a Portico node. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Starts a Portico node.")
public final class ServeCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        // NOTE: placeholder; the node's start-up code replaces this class.
        spec.commandLine().getErr().println("error: serve is not available in this build");
        return ExitCodes.INVALID_INPUT;
    }
}
