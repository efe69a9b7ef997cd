package io.portico.cli;

import io.portico.declarative.ChangeReport;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The {@code --format} option of the commands that print a change report. */
final class ReportFormat {

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format: text (default) lists the resources and their changed fields; json prints"
                    + " the same report as the admin API's JSON, for scripts.")
    private String format;

    /**
     * Checks {@code --format}. The commands call it before they read the document or send anything.
     *
     * @throws CliException when it names no format
     */
    void check() {
        String chosen = format.toLowerCase(Locale.ROOT);
        if (!chosen.equals("text") && !chosen.equals("json")) {
            throw CliException.invalidInput("invalid --format '" + format + "': use text or json");
        }
    }

    /** Prints {@code report} in the chosen format, as planned changes when {@code planned} is true, else as done. */
    void print(PrintWriter out, ChangeReport report, boolean planned) {
        check();
        if (format.equalsIgnoreCase("json")) {
            ReportPrinter.json(out, report);
        } else if (planned) {
            ReportPrinter.planned(out, report);
        } else {
            ReportPrinter.applied(out, report);
        }
    }
}
