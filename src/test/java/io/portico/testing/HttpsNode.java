package io.portico.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Starts test nodes whose HTTPS listener serves a self-signed certificate from files, as operators configure it. */
public final class HttpsNode {

    private HttpsNode() {
    }

    /**
     * Starts a node with HTTP and HTTPS listeners; the certificate for {@code serverName} and the node settings file
     * are written to {@code directory}.
     */
    public static TestNode start(Path directory, String serverName, Map<String, String> settings) throws IOException {
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer(serverName);
        Path certificateFile = Files.writeString(directory.resolve(serverName + ".crt"), certificate.certificatePem());
        Path keyFile = Files.writeString(directory.resolve(serverName + ".key"), certificate.privateKeyPem());
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.putObject("https").putArray("certificates").addObject()
                .put("certificate", certificateFile.toString())
                .put("key", keyFile.toString());
        Path nodeFile = Files.writeString(directory.resolve("node.yaml"), Json.MAPPER.writeValueAsString(node));
        return TestNode.start(nodeFile, settings);
    }
}
