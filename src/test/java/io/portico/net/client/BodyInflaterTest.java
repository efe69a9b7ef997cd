package io.portico.net.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.ZipException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** BodyInflater on gzip and deflate bodies, whole, split at every position, cut short and corrupt. */
class BodyInflaterTest {

    private static final byte[] TEXT = ("{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\""
            + "compressed ".repeat(400) + "\"}}]}").getBytes(StandardCharsets.UTF_8);

    /** Allocates unpooled heap buffers and keeps each one, so that a test can check that all were released. */
    private static final class TrackingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> allocated = new ArrayList<>();

        TrackingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buffer = Unpooled.buffer(initialCapacity, maxCapacity);
            allocated.add(buffer);
            return buffer;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buffer = Unpooled.directBuffer(initialCapacity, maxCapacity);
            allocated.add(buffer);
            return buffer;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private final TrackingAllocator allocator = new TrackingAllocator();
    /** Every input buffer that a test added, to check that the inflater released them. */
    private final List<ByteBuf> inputs = new ArrayList<>();

    @AfterEach
    void checkReleased() {
        for (ByteBuf input : inputs) {
            assertThat(input.refCnt()).as("input buffer released").isZero();
        }
        for (ByteBuf output : allocator.allocated) {
            assertThat(output.refCnt()).as("output buffer released").isZero();
        }
    }

    private BodyInflater inflater(String coding) {
        BodyInflater inflater = BodyInflater.forCoding(coding, allocator);
        assertThat(inflater).as("inflater for " + coding).isNotNull();
        return inflater;
    }

    /** Adds {@code body[from, to)} as one piece, as a direct buffer like a socket read. */
    private void add(BodyInflater inflater, byte[] body, int from, int to) {
        ByteBuf piece = Unpooled.directBuffer(Math.max(1, to - from));
        piece.writeBytes(body, from, to - from);
        inputs.add(piece);
        inflater.add(piece);
    }

    /** Takes all output the inflater has, checking the size of each piece. */
    private static void drain(BodyInflater inflater, ByteArrayOutputStream output) throws ZipException {
        ByteBuf piece;
        while ((piece = inflater.next()) != null) {
            assertThat(piece.readableBytes()).as("piece size").isBetween(1, BodyInflater.MAX_PIECE_BYTES);
            byte[] bytes = new byte[piece.readableBytes()];
            piece.readBytes(bytes);
            piece.release();
            output.writeBytes(bytes);
        }
    }

    /** Decompresses {@code body} added in pieces that end at {@code splits}, and checks the end of the body. */
    private byte[] decode(String coding, byte[] body, int... splits) throws ZipException {
        BodyInflater inflater = inflater(coding);
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try {
            int from = 0;
            for (int split : splits) {
                add(inflater, body, from, split);
                drain(inflater, output);
                from = split;
            }
            add(inflater, body, from, body.length);
            drain(inflater, output);
            inflater.finish();
        } finally {
            inflater.close();
        }
        return output.toByteArray();
    }

    /** Decompresses {@code body} split at each position in turn, and byte by byte. */
    private void assertDecodesAtEverySplit(String coding, byte[] body, byte[] expected) throws ZipException {
        for (int split = 0; split <= body.length; split++) {
            assertThat(decode(coding, body, split)).as("split at " + split).isEqualTo(expected);
        }
        int[] everyByte = new int[body.length - 1];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i + 1;
        }
        assertThat(decode(coding, body, everyByte)).as("byte by byte").isEqualTo(expected);
    }

    @Test
    void gzipWithAllHeaderFieldsAtEverySplit() throws ZipException {
        assertDecodesAtEverySplit("gzip", CompressedBodies.gzipWithAllFields(TEXT), TEXT);
    }

    @Test
    void gzipOutputComesInBoundedPieces() throws ZipException {
        byte[] large = new byte[100_000];
        Arrays.fill(large, (byte) 'a');

        assertThat(decode("gzip", CompressedBodies.gzip(large))).isEqualTo(large);
    }

    @Test
    void concatenatedGzipMembersAtEverySplit() throws ZipException {
        byte[] second = "second member".getBytes(StandardCharsets.UTF_8);
        byte[] body = CompressedBodies.concat(CompressedBodies.gzipWithAllFields(TEXT), CompressedBodies.gzip(second),
                CompressedBodies.gzip(new byte[0]));

        assertDecodesAtEverySplit("x-gzip", body, CompressedBodies.concat(TEXT, second));
    }

    @Test
    void zlibDeflateAtEverySplit() throws ZipException {
        assertDecodesAtEverySplit("deflate", CompressedBodies.zlib(TEXT), TEXT);
    }

    @Test
    void rawDeflateAtEverySplit() throws ZipException {
        assertDecodesAtEverySplit("deflate", CompressedBodies.rawDeflate(TEXT), TEXT);
    }

    @Test
    void emptyBodyHasNoOutput() throws ZipException {
        for (String coding : List.of("gzip", "deflate")) {
            BodyInflater inflater = inflater(coding);
            inflater.add(Unpooled.EMPTY_BUFFER);

            assertThat(inflater.next()).as(coding).isNull();
            inflater.finish();
            inflater.close();
        }
    }

    @Test
    void otherCodingsAreNotDecompressed() {
        assertThat(BodyInflater.forCoding("br", allocator)).isNull();
        assertThat(BodyInflater.forCoding("gzip, br", allocator)).isNull();
        assertThat(BodyInflater.forCoding("identity", allocator)).isNull();
        assertThat(BodyInflater.forCoding(" GZIP ", allocator)).isNotNull().satisfies(BodyInflater::close);
    }

    @Test
    void truncatedBodiesAreInvalid() {
        byte[] gzip = CompressedBodies.concat(CompressedBodies.gzipWithAllFields(TEXT), CompressedBodies.gzip(TEXT));
        byte[] zlib = CompressedBodies.zlib(TEXT);
        byte[] raw = CompressedBodies.rawDeflate(TEXT);
        int firstMember = CompressedBodies.gzipWithAllFields(TEXT).length;

        for (int length = 1; length < gzip.length; length++) {
            if (length == firstMember) {
                continue;
            }
            byte[] cut = Arrays.copyOf(gzip, length);
            assertThatThrownBy(() -> decode("gzip", cut)).as("gzip cut to " + length + " bytes")
                    .isInstanceOf(ZipException.class)
                    .hasMessage("the gzip body ends before its compressed stream does");
        }
        for (byte[] deflate : List.of(zlib, raw)) {
            for (int length = 1; length < deflate.length; length++) {
                byte[] cut = Arrays.copyOf(deflate, length);
                assertThatThrownBy(() -> decode("deflate", cut)).as("deflate cut to " + length + " bytes")
                        .isInstanceOf(ZipException.class)
                        .hasMessage("the deflate body ends before its compressed stream does");
            }
        }
    }

    @Test
    void gzipWithWrongCrcIsInvalid() {
        byte[] body = CompressedBodies.gzip(TEXT);
        body[body.length - 8] ^= 0x01;

        assertThatThrownBy(() -> decode("gzip", body)).isInstanceOf(ZipException.class)
                .hasMessageStartingWith("the gzip trailer's CRC-32 0x")
                .hasMessageContaining("does not match the decompressed data");
    }

    @Test
    void gzipWithWrongSizeIsInvalid() {
        byte[] body = CompressedBodies.gzip(TEXT);
        body[body.length - 4] ^= 0x01;

        assertThatThrownBy(() -> decode("gzip", body)).isInstanceOf(ZipException.class)
                .hasMessage("the gzip trailer's size " + (TEXT.length ^ 0x01) + " does not match the " + TEXT.length
                        + " bytes decompressed");
    }

    @Test
    void bytesAfterGzipStreamAreInvalid() {
        for (byte[] rest : List.of(new byte[] {0}, "\r\n".getBytes(StandardCharsets.US_ASCII), new byte[] {0x1f, 0})) {
            byte[] body = CompressedBodies.concat(CompressedBodies.gzip(TEXT), rest);

            assertThatThrownBy(() -> decode("gzip", body)).as("rest " + Arrays.toString(rest))
                    .isInstanceOf(ZipException.class)
                    .hasMessage("the gzip body continues after the end of its compressed stream with bytes that do not"
                            + " start another gzip member");
        }
    }

    @Test
    void bytesAfterDeflateStreamAreInvalid() {
        for (byte[] stream : List.of(CompressedBodies.zlib(TEXT), CompressedBodies.rawDeflate(TEXT))) {
            byte[] body = CompressedBodies.concat(stream, new byte[] {0});

            assertThatThrownBy(() -> decode("deflate", body)).isInstanceOf(ZipException.class)
                    .hasMessage("the deflate body continues after the end of its compressed stream");
        }
    }

    @Test
    void gzipHeaderErrorsAreInvalid() {
        byte[] plain = CompressedBodies.gzip(TEXT);
        byte[] wrongMagic = plain.clone();
        wrongMagic[1] = (byte) 0x8c;
        byte[] wrongMethod = plain.clone();
        wrongMethod[2] = 7;
        byte[] reservedFlag = plain.clone();
        reservedFlag[3] = 0x20;

        assertThatThrownBy(() -> decode("gzip", wrongMagic)).isInstanceOf(ZipException.class)
                .hasMessage("the gzip body does not start with the gzip magic number 1f 8b");
        assertThatThrownBy(() -> decode("gzip", wrongMethod)).isInstanceOf(ZipException.class)
                .hasMessage("the gzip header names compression method 7, but only 8 (deflate) is defined");
        assertThatThrownBy(() -> decode("gzip", reservedFlag)).isInstanceOf(ZipException.class)
                .hasMessage("the gzip header sets reserved flag bits 0x20");
        assertThatThrownBy(() -> decode("gzip", "plain text".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(ZipException.class)
                .hasMessage("the gzip body does not start with the gzip magic number 1f 8b");
    }

    @Test
    void corruptCompressedDataIsInvalid() {
        byte[] gzip = CompressedBodies.gzip(TEXT);
        // The first byte of the deflate data: BFINAL set and block type 3, which RFC 1951 reserves.
        gzip[10] = 0x07;
        byte[] zlib = CompressedBodies.zlib(TEXT);
        zlib[2] = 0x07;
        byte[] zlibWrongAdler = CompressedBodies.zlib(TEXT);
        zlibWrongAdler[zlibWrongAdler.length - 1] ^= 0x01;

        assertThatThrownBy(() -> decode("gzip", gzip)).isInstanceOf(ZipException.class)
                .hasMessage("the gzip body's compressed data is invalid: invalid block type");
        assertThatThrownBy(() -> decode("deflate", zlib)).isInstanceOf(ZipException.class)
                .hasMessage("the deflate body's compressed data is invalid: invalid block type");
        assertThatThrownBy(() -> decode("deflate", zlibWrongAdler)).isInstanceOf(ZipException.class)
                .hasMessage("the deflate body's compressed data is invalid: incorrect data check");
    }

    @Test
    void zlibWithPresetDictionaryIsInvalid() {
        Deflater deflater = new Deflater();
        deflater.setDictionary("compressed answer".getBytes(StandardCharsets.US_ASCII));
        deflater.setInput(TEXT);
        deflater.finish();
        byte[] buffer = new byte[64 * 1024];
        byte[] body = Arrays.copyOf(buffer, deflater.deflate(buffer));
        deflater.end();

        assertThatThrownBy(() -> decode("deflate", body)).isInstanceOf(ZipException.class)
                .hasMessage("the deflate body needs a preset dictionary, which HTTP does not provide");
    }

    @Test
    void closeReleasesHeldInput() throws ZipException {
        byte[] body = CompressedBodies.gzip(TEXT);
        BodyInflater inflater = inflater("gzip");
        add(inflater, body, 0, body.length / 2);
        add(inflater, body, body.length / 2, body.length);

        ByteBuf first = inflater.next();
        first.release();
        inflater.close();
        inflater.close();

        assertThat(inflater.next()).as("output after close").isNull();
        add(inflater, body, 0, 1);
    }

    /**
     * A gzip body of 1 GiB of zeros, about 1 MiB compressed, fed in reads of 64 KiB against a body limit of 1 MiB as
     * {@link Http1Connection} does: output is taken one piece at a time until it passes the limit. The output made
     * stays within one piece of the limit, and the input read within a few reads of it.
     */
    @Test
    void gzipBombStopsAtBodyLimit() throws ZipException {
        byte[] bomb = CompressedBodies.gzipOfZeros(1024);
        int limit = 1024 * 1024;
        int readSize = 64 * 1024;
        BodyInflater inflater = inflater("gzip");
        long produced = 0;
        int added = 0;

        try {
            while (produced <= limit && added < bomb.length) {
                int to = Math.min(bomb.length, added + readSize);
                add(inflater, bomb, added, to);
                added = to;
                ByteBuf piece;
                while (produced <= limit && (piece = inflater.next()) != null) {
                    produced += piece.readableBytes();
                    piece.release();
                }
            }
        } finally {
            inflater.close();
        }

        assertThat(bomb.length).as("compressed size").isBetween(512 * 1024, 2 * 1024 * 1024);
        assertThat(produced).as("output bytes made").isGreaterThan(limit)
                .isLessThanOrEqualTo(limit + BodyInflater.MAX_PIECE_BYTES);
        assertThat(added).as("compressed bytes added").isLessThanOrEqualTo(2 * readSize);
    }

    @Test
    void gzipBombDecodesWholeWithoutLimit() throws ZipException {
        byte[] bomb = CompressedBodies.gzipOfZeros(1024);
        BodyInflater inflater = inflater("gzip");
        long produced = 0;
        int largestPiece = 0;

        try {
            for (int from = 0; from < bomb.length; from += 64 * 1024) {
                add(inflater, bomb, from, Math.min(bomb.length, from + 64 * 1024));
                ByteBuf piece;
                while ((piece = inflater.next()) != null) {
                    produced += piece.readableBytes();
                    largestPiece = Math.max(largestPiece, piece.readableBytes());
                    piece.release();
                }
            }
            inflater.finish();
        } finally {
            inflater.close();
        }

        assertThat(produced).isEqualTo(1024L * 1024 * 1024);
        assertThat(largestPiece).isEqualTo(BodyInflater.MAX_PIECE_BYTES);
    }
}
