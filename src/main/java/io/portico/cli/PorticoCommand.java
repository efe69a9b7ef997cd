package io.portico.cli;

import static java.util.Objects.requireNonNull;

import io.portico.admin.PorticoVersion;
import io.portico.config.ValidationException;
import io.portico.store.ConflictException;
import io.portico.store.NotFoundException;
import io.portico.store.StoreException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code portico} command: starts a node and manages its configuration. */
@Command(name = "portico", mixinStandardHelpOptions = true, versionProvider = PorticoCommand.Version.class,
        description = "Portico, an AI gateway and API management platform.",
        subcommands = {ServeCommand.class, ApplyCommand.class, ExportCommand.class, DiffCommand.class,
            ValidateCommand.class, VersionCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:invalid input, or the change was rejected",
            "2:the admin API or the store cannot be reached, or the token was rejected"})
public final class PorticoCommand implements Callable<Integer> {

    private final Map<String, String> env;
    private final StoreFactory storeFactory;
    private InputStream standardInput = System.in;

    @Spec
    private CommandSpec spec;

    /** Creates the command with the process environment and the JDBC store. */
    public PorticoCommand() {
        this(System.getenv(), new JdbcStoreFactory());
    }

    /** Creates the command with the given environment and store factory. */
    public PorticoCommand(Map<String, String> env, StoreFactory storeFactory) {
        this.env = Map.copyOf(requireNonNull(env, "env"));
        this.storeFactory = requireNonNull(storeFactory, "storeFactory");
    }

    /** Runs the command line and exits with its exit code. */
    public static void main(String[] args) {
        System.exit(commandLine(new PorticoCommand()).execute(args));
    }

    /** Returns a command line for {@code command} with Portico's exit codes and error reporting. */
    public static CommandLine commandLine(PorticoCommand command) {
        CommandLine commandLine = new CommandLine(command);
        setInvalidInputExitCode(commandLine);
        commandLine.setExecutionStrategy(parseResult -> {
            if (!parseResult.hasSubcommand() || !(parseResult.subcommand().commandSpec().userObject()
                    instanceof ServeCommand)) {
                LogOutput.toStandardError();
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        commandLine.setExecutionExceptionHandler((failure, failed, parseResult) -> {
            failed.getErr().println("error: " + failure.getMessage());
            failed.getErr().flush();
            return exitCodeOf(failure);
        });
        return commandLine;
    }

    private static void setInvalidInputExitCode(CommandLine commandLine) {
        commandLine.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.INVALID_INPUT);
        commandLine.getSubcommands().values().forEach(PorticoCommand::setInvalidInputExitCode);
    }

    private static int exitCodeOf(Exception failure) {
        if (failure instanceof CliException cli) {
            return cli.exitCode();
        }
        if (failure instanceof ValidationException || failure instanceof ConflictException
                || failure instanceof NotFoundException) {
            return ExitCodes.INVALID_INPUT;
        }
        if (failure instanceof StoreException) {
            return ExitCodes.UNAVAILABLE;
        }
        return ExitCodes.INVALID_INPUT;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.INVALID_INPUT;
    }

    Map<String, String> env() {
        return env;
    }

    /** Makes {@code -f -} read from {@code in} instead of the process's standard input; returns this command. */
    public PorticoCommand standardInput(InputStream in) {
        this.standardInput = requireNonNull(in, "in");
        return this;
    }

    InputStream standardInput() {
        return standardInput;
    }

    StoreFactory storeFactory() {
        return storeFactory;
    }

    /** Reads the version for {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"portico " + PorticoVersion.current()};
        }
    }
}
