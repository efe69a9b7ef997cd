package io.portico.cli;

/** The exit codes of the {@code portico} command. */
public final class ExitCodes {

    /** The command did what it was asked. */
    public static final int OK = 0;
    /** The input is invalid (a bad option, an unreadable or invalid document), or the server rejected the change. */
    public static final int INVALID_INPUT = 1;
    /** The admin API or the store cannot be reached, or the admin token was rejected. */
    public static final int UNAVAILABLE = 2;

    private ExitCodes() {
    }
}
