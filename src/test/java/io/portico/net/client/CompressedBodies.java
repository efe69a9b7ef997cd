package io.portico.net.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Bodies in the gzip and deflate content codings, built with {@link Deflater} for tests of decompression. */
final class CompressedBodies {

    private static final int MIB = 1024 * 1024;
    /** A gzip header without flags: magic number, method 8, no MTIME, no extra flags, unknown operating system. */
    private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255};

    private CompressedBodies() {
    }

    /** Returns {@code data} as raw deflate (RFC 1951), without a zlib or gzip wrapper. */
    static byte[] rawDeflate(byte[] data) {
        return deflate(data, true);
    }

    /** Returns {@code data} in the zlib format (RFC 1950), which the deflate content coding names. */
    static byte[] zlib(byte[] data) {
        return deflate(data, false);
    }

    /** Returns {@code data} as one gzip member whose header has no flags and no optional fields. */
    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(GZIP_HEADER);
        out.writeBytes(rawDeflate(data));
        writeTrailer(out, crc(data), data.length);
        return out.toByteArray();
    }

    /**
     * Returns {@code data} as one gzip member whose header sets every defined flag: FTEXT, FHCRC, FEXTRA (with one
     * subfield), FNAME and FCOMMENT. The header CRC is the low 16 bits of the CRC-32 of the header before it.
     */
    static byte[] gzipWithAllFields(byte[] data) {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x1f, 0x78, 0x56, 0x34, 0x12, 2, 3});
        byte[] extra = {'P', 'x', 3, 0, 'a', 'b', 'c'};
        header.write(extra.length);
        header.write(0);
        header.writeBytes(extra);
        header.writeBytes("body.json\0".getBytes(StandardCharsets.ISO_8859_1));
        header.writeBytes("a comment on the body\0".getBytes(StandardCharsets.ISO_8859_1));
        CRC32 headerCrc = new CRC32();
        headerCrc.update(header.toByteArray());
        header.write((int) headerCrc.getValue() & 0xff);
        header.write((int) (headerCrc.getValue() >> 8) & 0xff);
        header.writeBytes(rawDeflate(data));
        writeTrailer(header, crc(data), data.length);
        return header.toByteArray();
    }

    /**
     * Returns a gzip member of {@code mebibytes} MiB of zeros, about 1 KiB per MiB. It repeats one block of 1 MiB of
     * zeros, compressed with a full flush so that it refers to no earlier output, and ends with an empty final
     * block. Building it takes milliseconds, where compressing all the zeros would take seconds.
     */
    static byte[] gzipOfZeros(int mebibytes) {
        byte[] repeated = flushedZeros(MIB);
        CRC32 crc = new CRC32();
        byte[] zeros = new byte[MIB];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(GZIP_HEADER);
        for (int i = 0; i < mebibytes; i++) {
            out.writeBytes(repeated);
            crc.update(zeros);
        }
        // A final block with fixed Huffman codes that contains only the end-of-block code.
        out.writeBytes(new byte[] {0x03, 0x00});
        writeTrailer(out, crc.getValue(), (long) mebibytes * MIB);
        return out.toByteArray();
    }

    /**
     * Returns a gzip member that decompresses to {@code kibibytes} KiB of zeros and then has an invalid block: its
     * header byte 0x07 sets block type 3, which RFC 1951 reserves.
     */
    static byte[] gzipOfZerosThenInvalidBlock(int kibibytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(GZIP_HEADER);
        out.writeBytes(flushedZeros(kibibytes * 1024));
        out.writeBytes(new byte[] {0x07, 0, 0, 0, 0, 0, 0, 0, 0});
        return out.toByteArray();
    }

    /** Returns {@code count} zeros as raw deflate blocks that end with a full flush, so the last one is not final. */
    private static byte[] flushedZeros(int count) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        deflater.setInput(new byte[count]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        int written;
        do {
            written = deflater.deflate(buffer, 0, buffer.length, Deflater.FULL_FLUSH);
            out.write(buffer, 0, written);
        } while (written == buffer.length);
        deflater.end();
        return out.toByteArray();
    }

    /** Returns the parts one after another. */
    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data, boolean raw) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, raw);
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (!deflater.finished()) {
            int written = deflater.deflate(buffer);
            out.write(buffer, 0, written);
        }
        deflater.end();
        return out.toByteArray();
    }

    private static long crc(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        return crc.getValue();
    }

    /** Writes the CRC-32 and the size modulo 2^32 of a gzip trailer, both little-endian. */
    private static void writeTrailer(ByteArrayOutputStream out, long crc, long size) {
        for (long value : new long[] {crc, size}) {
            for (int shift = 0; shift < 32; shift += 8) {
                out.write((int) (value >> shift) & 0xff);
            }
        }
    }
}
