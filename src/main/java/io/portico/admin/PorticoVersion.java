package io.portico.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of Portico that is running, read from the Maven metadata that the build puts into the jar. */
public final class PorticoVersion {

    private static final String POM_PROPERTIES = "/META-INF/maven/io.portico/portico/pom.properties";
    private static final String UNKNOWN = "development";
    private static final String VERSION = read();

    private PorticoVersion() {
    }

    /** Returns the version, or {@code development} when the classes do not come from a built jar. */
    public static String current() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = PorticoVersion.class.getResourceAsStream(POM_PROPERTIES)) {
            if (in == null) {
                String fromManifest = PorticoVersion.class.getPackage().getImplementationVersion();
                return fromManifest == null ? UNKNOWN : fromManifest;
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", UNKNOWN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + POM_PROPERTIES, e);
        }
    }
}
