package io.portico.cli;

import io.portico.declarative.ChangeReport;
import io.portico.declarative.DeclarativeDocument;
import io.portico.declarative.DocumentFormat;

/** The target of export, diff and apply: a running node's admin API, or a store opened directly. */
interface ConfigTarget extends AutoCloseable {

    /** Returns the whole configuration as a document in {@code format}, secrets masked. */
    String export(DocumentFormat format);

    /** Returns what applying {@code document} would change, writing nothing. */
    ChangeReport diff(DeclarativeDocument document);

    /** Makes the configuration equal to {@code document} and returns what changed. */
    ChangeReport apply(DeclarativeDocument document);

    @Override
    void close();
}
