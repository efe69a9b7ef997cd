package io.portico.ai.provider.aws;

import static java.util.Objects.requireNonNull;

/**
 * AWS credentials for Signature Version 4.
 *
 * @param accessKeyId the access key id, such as {@code AKIDEXAMPLE}
 * @param secretAccessKey the secret access key
 * @param sessionToken the session token of temporary credentials; null for long-term credentials
 */
public record AwsCredentials(String accessKeyId, String secretAccessKey, String sessionToken) {

    public AwsCredentials {
        requireNonNull(accessKeyId, "accessKeyId");
        requireNonNull(secretAccessKey, "secretAccessKey");
    }

    @Override
    public String toString() {
        return "AwsCredentials[accessKeyId=" + accessKeyId + "]";
    }
}
