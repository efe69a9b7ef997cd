package io.portico.cli;

/** A failure the command reports as one message on standard error, with the exit code it maps to. */
final class CliException extends RuntimeException {

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    static CliException invalidInput(String message) {
        return new CliException(ExitCodes.INVALID_INPUT, message);
    }

    static CliException unavailable(String message) {
        return new CliException(ExitCodes.UNAVAILABLE, message);
    }

    int exitCode() {
        return exitCode;
    }
}
