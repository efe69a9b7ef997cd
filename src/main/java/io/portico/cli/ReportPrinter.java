package io.portico.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.portico.config.Json;
import io.portico.declarative.ChangeReport;
import io.portico.declarative.FieldChange;
import java.io.PrintWriter;
import java.util.List;

/**
 * Prints a change report: one line per resource, each created or updated resource followed by its fields indented
 * ({@link FieldChangeText}), and a summary line. Or the report's JSON form ({@link ChangeReport#toJson()}).
 */
final class ReportPrinter {

    private static final String FIELD_INDENT = "    ";

    private ReportPrinter() {
    }

    /** Prints what an apply did. */
    static void applied(PrintWriter out, ChangeReport report) {
        lines(out, "created ", report.created(), report);
        lines(out, "updated ", report.updated(), report);
        lines(out, "deleted ", report.deleted(), report);
        out.printf("Applied: %d created, %d updated, %d deleted, %d unchanged.%n", report.created().size(),
                report.updated().size(), report.deleted().size(), report.unchanged());
    }

    /** Prints what an apply would do: {@code +} create, {@code ~} update, {@code -} delete. */
    static void planned(PrintWriter out, ChangeReport report) {
        lines(out, "+ ", report.created(), report);
        lines(out, "~ ", report.updated(), report);
        lines(out, "- ", report.deleted(), report);
        if (report.isEmpty()) {
            out.printf("No changes: %d resources unchanged.%n", report.unchanged());
        } else {
            out.printf("%d to create, %d to update, %d to delete, %d unchanged. Nothing was written.%n",
                    report.created().size(), report.updated().size(), report.deleted().size(), report.unchanged());
        }
    }

    /** Prints the JSON form of {@code report}, indented. */
    static void json(PrintWriter out, ChangeReport report) {
        try {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report.toJson()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a change report could not be written as JSON", e);
        }
    }

    private static void lines(PrintWriter out, String prefix, List<String> resources, ChangeReport report) {
        for (String resource : resources) {
            out.println(prefix + resource);
            for (FieldChange change : report.fieldsOf(resource)) {
                out.println(FIELD_INDENT + FieldChangeText.line(change));
            }
        }
    }
}
