package io.portico.jose;

import com.nimbusds.jose.JWSAlgorithm;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The JWS algorithms Portico verifies, by the name used in token headers and configuration. */
public final class JwsAlgorithms {

    private static final Map<String, JWSAlgorithm> SUPPORTED = new LinkedHashMap<>();

    static {
        for (JWSAlgorithm algorithm : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512,
                JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
                JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
                JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
                JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519)) {
            SUPPORTED.put(algorithm.getName(), algorithm);
        }
    }

    private JwsAlgorithms() {
    }

    /** Returns the supported algorithm named {@code name} (case-sensitive, as in RFC 7518), if any. */
    public static Optional<JWSAlgorithm> find(String name) {
        return Optional.ofNullable(SUPPORTED.get(name));
    }

    /** Names of every supported algorithm, for messages. */
    public static List<String> names() {
        return List.copyOf(SUPPORTED.keySet());
    }

    /** Returns true for the HMAC algorithms, whose keys are shared secrets. */
    public static boolean isHmac(JWSAlgorithm algorithm) {
        return JWSAlgorithm.Family.HMAC_SHA.contains(algorithm);
    }

    /** Returns the smallest HMAC key, in bytes, that RFC 7518 section 3.2 allows for {@code algorithm}. */
    public static int minHmacKeyBytes(JWSAlgorithm algorithm) {
        if (JWSAlgorithm.HS512.equals(algorithm)) {
            return 64;
        }
        return JWSAlgorithm.HS384.equals(algorithm) ? 48 : 32;
    }
}
