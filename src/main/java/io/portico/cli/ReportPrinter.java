package io.portico.cli;

import io.portico.declarative.ChangeReport;
import java.io.PrintWriter;
import java.util.List;

/** Prints a change report, one line per resource and a summary line. */
final class ReportPrinter {

    private ReportPrinter() {
    }

    /** Prints what an apply did. */
    static void applied(PrintWriter out, ChangeReport report) {
        lines(out, "created ", report.created());
        lines(out, "updated ", report.updated());
        lines(out, "deleted ", report.deleted());
        out.printf("Applied: %d created, %d updated, %d deleted, %d unchanged.%n", report.created().size(),
                report.updated().size(), report.deleted().size(), report.unchanged());
    }

    /** Prints what an apply would do: {@code +} create, {@code ~} update, {@code -} delete. */
    static void planned(PrintWriter out, ChangeReport report) {
        lines(out, "+ ", report.created());
        lines(out, "~ ", report.updated());
        lines(out, "- ", report.deleted());
        if (report.isEmpty()) {
            out.printf("No changes: %d resources unchanged.%n", report.unchanged());
        } else {
            out.printf("%d to create, %d to update, %d to delete, %d unchanged. Nothing was written.%n",
                    report.created().size(), report.updated().size(), report.deleted().size(), report.unchanged());
        }
    }

    private static void lines(PrintWriter out, String prefix, List<String> resources) {
        resources.forEach(resource -> out.println(prefix + resource));
    }
}
