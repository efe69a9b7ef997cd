package io.portico.gateway.tls;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an unencrypted private key from PEM text. Three encodings are accepted: PKCS #8 ({@code BEGIN PRIVATE
 * KEY}, any algorithm the JDK reads), PKCS #1 ({@code BEGIN RSA PRIVATE KEY}) and SEC 1 with a named curve
 * ({@code BEGIN EC PRIVATE KEY}). PKCS #1 and SEC 1 keys are wrapped into PKCS #8 before the JDK decodes them.
 */
final class PemKeys {

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "EdDSA", "RSASSA-PSS");

    private static final int SEQUENCE = 0x30;
    private static final int OCTET_STRING = 0x04;
    private static final int OBJECT_IDENTIFIER = 0x06;
    private static final int CONTEXT_0 = 0xA0;
    private static final byte[] VERSION_0 = {0x02, 0x01, 0x00};
    /** AlgorithmIdentifier of rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0D, 0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** Object identifier of id-ecPublicKey (1.2.840.10045.2.1). */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};

    private PemKeys() {
    }

    /**
     * Decodes the one private key in {@code pem}; other blocks, such as {@code EC PARAMETERS}, are skipped.
     *
     * @throws IllegalArgumentException when the text contains no key, several keys, an encrypted key or a malformed
     *     one
     */
    static PrivateKey privateKey(String pem) {
        List<PemBlock> keys = new ArrayList<>();
        Matcher block = BLOCK.matcher(pem);
        while (block.find()) {
            if (block.group(1).endsWith("PRIVATE KEY")) {
                keys.add(new PemBlock(block.group(1), block.group(2)));
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no PEM private key found; expected a BEGIN PRIVATE KEY, "
                    + "BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY block");
        }
        if (keys.size() > 1) {
            throw new IllegalArgumentException("found " + keys.size() + " PEM private keys; expected one");
        }
        return decode(keys.get(0));
    }

    private static PrivateKey decode(PemBlock key) {
        if (key.label().equals("ENCRYPTED PRIVATE KEY") || key.body().contains("Proc-Type:")) {
            throw new IllegalArgumentException("the private key is encrypted; encrypted keys are not supported, "
                    + "so store it unencrypted (for example with 'openssl pkcs8 -topk8 -nocrypt') and restrict "
                    + "the file's permissions");
        }
        byte[] der = base64(key.body());
        return switch (key.label()) {
            case "PRIVATE KEY" -> pkcs8(der);
            case "RSA PRIVATE KEY" -> pkcs8(tlv(SEQUENCE, VERSION_0, RSA_ALGORITHM, tlv(OCTET_STRING, der)));
            case "EC PRIVATE KEY" -> pkcs8(tlv(SEQUENCE, VERSION_0, tlv(SEQUENCE, EC_PUBLIC_KEY, namedCurve(der)),
                    tlv(OCTET_STRING, der)));
            default -> throw new IllegalArgumentException("unsupported PEM block 'BEGIN " + key.label() + "'");
        };
    }

    private static byte[] base64(String body) {
        try {
            return Base64.getMimeDecoder().decode(body.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the private key is not valid base64: " + e.getMessage(), e);
        }
    }

    private static PrivateKey pkcs8(byte[] der) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        Exception failure = null;
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // A key factory rejects a key of another algorithm the same way as a malformed one.
                failure = e;
            }
        }
        throw new IllegalArgumentException("the private key is malformed or not an RSA, EC or EdDSA key", failure);
    }

    /** Returns the curve object identifier from the [0] parameters field of a SEC 1 ECPrivateKey structure. */
    private static byte[] namedCurve(byte[] sec1) {
        Element key = Element.at(sec1, 0);
        if (key.tag() != SEQUENCE) {
            throw new IllegalArgumentException("the EC private key is not a DER sequence");
        }
        int position = key.contentStart();
        while (position < key.end()) {
            Element field = Element.at(sec1, position);
            if (field.tag() == CONTEXT_0) {
                Element curve = Element.at(sec1, field.contentStart());
                if (curve.tag() != OBJECT_IDENTIFIER) {
                    throw new IllegalArgumentException("the EC private key uses explicit curve parameters; "
                            + "only named curves are supported");
                }
                return Arrays.copyOfRange(sec1, field.contentStart(), curve.end());
            }
            position = field.end();
        }
        throw new IllegalArgumentException("the EC private key does not name its curve; convert it to PKCS #8 "
                + "with 'openssl pkcs8 -topk8 -nocrypt'");
    }

    /** Encodes a DER tag-length-value element whose content is the concatenation of {@code contents}. */
    private static byte[] tlv(int tag, byte[]... contents) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : contents) {
            content.writeBytes(part);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = content.size();
        if (length < 0x80) {
            out.write(length);
        } else {
            int octets = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | octets);
            for (int shift = (octets - 1) * 8; shift >= 0; shift -= 8) {
                out.write(length >>> shift);
            }
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    /** One {@code -----BEGIN label-----} block of PEM text, its body still base64 encoded. */
    private record PemBlock(String label, String body) {
    }

    /** The position of one DER element inside a byte array: its tag, where its content starts, and its end. */
    private record Element(int tag, int contentStart, int end) {

        static Element at(byte[] der, int offset) {
            if (offset + 2 > der.length) {
                throw malformed();
            }
            int tag = der[offset] & 0xFF;
            int first = der[offset + 1] & 0xFF;
            int contentStart = offset + 2;
            int length = first;
            if (first >= 0x80) {
                int octets = first & 0x7F;
                if (octets == 0 || octets > 3 || contentStart + octets > der.length) {
                    throw malformed();
                }
                length = 0;
                for (int i = 0; i < octets; i++) {
                    length = (length << 8) | (der[contentStart + i] & 0xFF);
                }
                contentStart += octets;
            }
            if (contentStart + length > der.length) {
                throw malformed();
            }
            return new Element(tag, contentStart, contentStart + length);
        }

        private static IllegalArgumentException malformed() {
            return new IllegalArgumentException("the private key is not valid DER");
        }
    }
}
