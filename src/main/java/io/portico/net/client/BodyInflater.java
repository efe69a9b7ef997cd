package io.portico.net.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Decompresses a response body in the gzip or deflate content coding of RFC 9110 section 8.4.1, with
 * {@link Inflater}. The caller adds the compressed body in pieces as they arrive, takes the output with
 * {@link #next()} one piece of at most {@link #MAX_PIECE_BYTES} at a time, and calls {@link #finish()} once the body
 * ended. Output is produced only when the caller asks for it, so while a caller does not ask (past a body limit, or
 * while its reader is paused) this instance keeps only the compressed input added so far.
 *
 * <p>gzip (RFC 1952): each member's header must have the magic number 1f 8b, compression method 8 and no reserved
 * flag bits. Its optional fields (FEXTRA, FNAME, FCOMMENT, FHCRC) are skipped unchecked, and its trailer's CRC-32
 * and ISIZE must match the output. Members that follow one another are decompressed in order. deflate: the zlib
 * format of RFC 1950, or raw deflate (RFC 1951) as some servers send it. The first two bytes decide which. A raw
 * stream could start with a valid zlib header only if the padding bits of a first stored block were set, which
 * zlib never writes. Bytes after the end of the compressed stream
 * make the body invalid, except a further gzip member. An empty body is accepted as empty output, because a
 * response without a body (to HEAD, or a 204 or 304) may still name its coding.
 *
 * <p>Not thread-safe: one instance per response, used on its connection's event loop. {@link #close()} must be
 * called on every path, because the instance keeps input buffers and the native memory of its {@link Inflater}.
 */
final class BodyInflater {

    /** The maximum size of one piece of output, in bytes. */
    static final int MAX_PIECE_BYTES = 8 * 1024;

    private static final int GZIP_ID1 = 0x1f;
    private static final int GZIP_ID2 = 0x8b;
    private static final int DEFLATE_METHOD = 8;
    private static final int FLAG_HEADER_CRC = 0x02;
    private static final int FLAG_EXTRA = 0x04;
    private static final int FLAG_NAME = 0x08;
    private static final int FLAG_COMMENT = 0x10;
    private static final int FLAGS_RESERVED = 0xe0;
    /** The size of a gzip header without its magic number and optional fields, in bytes. */
    private static final int GZIP_FIXED_BYTES = 8;
    private static final int GZIP_TRAILER_BYTES = 8;

    /** Steps through a compressed body, in the order in which its parts arrive. */
    private enum Stage {
        /** The first two bytes of a deflate body, which tell the zlib format from raw deflate. */
        DEFLATE_START,
        GZIP_MAGIC,
        /** The rest of a gzip header before its optional fields: CM, FLG, MTIME, XFL and OS. */
        GZIP_FIXED,
        GZIP_EXTRA_LENGTH,
        GZIP_EXTRA,
        GZIP_NAME,
        GZIP_COMMENT,
        GZIP_HEADER_CRC,
        /** Compressed data, which {@link Inflater} reads. */
        DATA,
        GZIP_TRAILER,
        /** After the end of a deflate stream, or of a gzip member. */
        END
    }

    private final boolean gzip;
    private final ByteBufAllocator allocator;
    /** Compressed input not yet read, in order. Each buffer is owned by this instance until it is released. */
    private final ArrayDeque<ByteBuf> input = new ArrayDeque<>(4);
    private final byte[] field = new byte[GZIP_FIXED_BYTES];
    /** How many bytes of the current fixed-size field are in {@link #field}, or of FEXTRA were skipped. */
    private int fieldFilled;
    private int extraLength;
    private int flags;
    private Stage stage;
    /** The decompressor, created where the compressed data starts, and null after {@link #close()}. */
    private Inflater inflater;
    private final CRC32 crc = new CRC32();
    /** The output of the current gzip member, in bytes. */
    private long memberBytes;
    /** The number of gzip members whose trailer was read. */
    private int members;
    private boolean receivedInput;
    private boolean closed;

    private BodyInflater(boolean gzip, ByteBufAllocator allocator) {
        this.gzip = gzip;
        this.allocator = allocator;
        this.stage = gzip ? Stage.GZIP_MAGIC : Stage.DEFLATE_START;
    }

    /**
     * Returns an inflater for {@code contentCoding}, the value of a Content-Encoding field, or null when it is not
     * one gzip or deflate coding. x-gzip counts as gzip, as RFC 9110 section 8.4.1.3 recommends, and x-deflate as
     * deflate.
     */
    static BodyInflater forCoding(String contentCoding, ByteBufAllocator allocator) {
        String name = contentCoding.trim();
        if (name.equalsIgnoreCase("gzip") || name.equalsIgnoreCase("x-gzip")) {
            return new BodyInflater(true, allocator);
        }
        if (name.equalsIgnoreCase("deflate") || name.equalsIgnoreCase("x-deflate")) {
            return new BodyInflater(false, allocator);
        }
        return null;
    }

    /** Returns the name of the coding in messages. */
    private String coding() {
        return gzip ? "gzip" : "deflate";
    }

    /** Adds the next piece of the compressed body. This instance owns {@code piece} from now on. */
    void add(ByteBuf piece) {
        if (closed || !piece.isReadable()) {
            piece.release();
            return;
        }
        receivedInput = true;
        input.add(piece);
    }

    /**
     * Decompresses the next piece of output, of 1 to {@link #MAX_PIECE_BYTES} bytes, which the caller owns. Returns
     * null when the input added so far yields no more output.
     *
     * @throws ZipException when the body is not valid in its coding, with a message that names the fault
     */
    ByteBuf next() throws ZipException {
        while (!closed) {
            switch (stage) {
                case DEFLATE_START -> {
                    if (!startDeflate()) {
                        return null;
                    }
                }
                case GZIP_MAGIC -> {
                    if (!readMagic()) {
                        return null;
                    }
                }
                case GZIP_FIXED -> {
                    if (!readFixedHeader()) {
                        return null;
                    }
                }
                case GZIP_EXTRA_LENGTH -> {
                    if (!gather(2)) {
                        return null;
                    }
                    extraLength = (field[0] & 0xff) | (field[1] & 0xff) << 8;
                    fieldFilled = 0;
                    stage = Stage.GZIP_EXTRA;
                }
                case GZIP_EXTRA -> {
                    if (!skipExtra()) {
                        return null;
                    }
                    stage = nextHeaderStage();
                }
                case GZIP_NAME, GZIP_COMMENT -> {
                    if (!skipZeroTerminated()) {
                        return null;
                    }
                    stage = nextHeaderStage();
                }
                case GZIP_HEADER_CRC -> {
                    if (!gather(2)) {
                        return null;
                    }
                    fieldFilled = 0;
                    startMember();
                    stage = Stage.DATA;
                }
                case DATA -> {
                    ByteBuf out = inflate();
                    // A stream that ends without more output moves on to what follows it.
                    if (out != null || stage == Stage.DATA) {
                        return out;
                    }
                }
                case GZIP_TRAILER -> {
                    if (!gather(GZIP_TRAILER_BYTES)) {
                        return null;
                    }
                    checkTrailer();
                }
                case END -> {
                    if (!hasInput()) {
                        return null;
                    }
                    if (!gzip) {
                        throw new ZipException("the deflate body continues after the end of its compressed stream");
                    }
                    stage = Stage.GZIP_MAGIC;
                }
            }
        }
        return null;
    }

    /**
     * Checks that the body ended where its compressed stream did, once all output was taken with {@link #next()}.
     *
     * @throws ZipException when the body ends inside its compressed stream, or before all of its input was read
     */
    void finish() throws ZipException {
        if (!receivedInput) {
            return;
        }
        boolean streamEnded = stage == Stage.END || stage == Stage.GZIP_MAGIC && members > 0 && fieldFilled == 0;
        if (streamEnded && !hasInput()) {
            return;
        }
        throw new ZipException("the " + coding() + " body ends before its compressed stream does");
    }

    /** Releases the input not yet read and the native memory of the decompressor. Safe to call more than once. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        ByteBuf piece;
        while ((piece = input.poll()) != null) {
            piece.release();
        }
        if (inflater != null) {
            inflater.end();
            inflater = null;
        }
    }

    // ---- Headers ----

    /**
     * Reads the first two bytes of a deflate body without taking them, and starts the decompressor in the format
     * they show. They are a zlib header when the method is 8, the window size is at most 32 KiB and the two bytes
     * are a multiple of 31 (RFC 1950 section 2.2).
     */
    private boolean startDeflate() {
        int first = peek(0);
        int second = peek(1);
        if (second < 0) {
            return false;
        }
        boolean zlib = (first & 0x0f) == DEFLATE_METHOD && first >> 4 <= 7 && (first << 8 | second) % 31 == 0;
        inflater = new Inflater(!zlib);
        stage = Stage.DATA;
        return true;
    }

    private boolean readMagic() throws ZipException {
        while (fieldFilled < 2) {
            int value = readByte();
            if (value < 0) {
                return false;
            }
            int expected = fieldFilled == 0 ? GZIP_ID1 : GZIP_ID2;
            if (value != expected) {
                throw new ZipException(members == 0
                        ? "the gzip body does not start with the gzip magic number 1f 8b"
                        : "the gzip body continues after the end of its compressed stream with bytes that do not"
                                + " start another gzip member");
            }
            fieldFilled++;
        }
        fieldFilled = 0;
        stage = Stage.GZIP_FIXED;
        return true;
    }

    private boolean readFixedHeader() throws ZipException {
        if (!gather(GZIP_FIXED_BYTES)) {
            return false;
        }
        fieldFilled = 0;
        int method = field[0] & 0xff;
        if (method != DEFLATE_METHOD) {
            throw new ZipException("the gzip header names compression method " + method + ", but only 8 (deflate)"
                    + " is defined");
        }
        flags = field[1] & 0xff;
        if ((flags & FLAGS_RESERVED) != 0) {
            throw new ZipException("the gzip header sets reserved flag bits 0x" + Integer.toHexString(flags));
        }
        stage = (flags & FLAG_EXTRA) != 0 ? Stage.GZIP_EXTRA_LENGTH : nextHeaderStage();
        return true;
    }

    /**
     * Returns the stage after the current optional header field: the fields follow in the order FEXTRA, FNAME,
     * FCOMMENT, FHCRC (RFC 1952 section 2.3), and the compressed data follows the last one that the flags set.
     */
    private Stage nextHeaderStage() {
        int after = switch (stage) {
            case GZIP_FIXED, GZIP_EXTRA -> FLAG_EXTRA;
            case GZIP_NAME -> FLAG_NAME;
            case GZIP_COMMENT -> FLAG_COMMENT;
            default -> throw new IllegalStateException("no header field at stage " + stage);
        };
        if (after < FLAG_NAME && (flags & FLAG_NAME) != 0) {
            return Stage.GZIP_NAME;
        }
        if (after < FLAG_COMMENT && (flags & FLAG_COMMENT) != 0) {
            return Stage.GZIP_COMMENT;
        }
        if ((flags & FLAG_HEADER_CRC) != 0) {
            return Stage.GZIP_HEADER_CRC;
        }
        startMember();
        return Stage.DATA;
    }

    private void startMember() {
        if (inflater == null) {
            inflater = new Inflater(true);
        } else {
            inflater.reset();
        }
        crc.reset();
        memberBytes = 0;
    }

    /** Skips the FEXTRA field of {@link #extraLength} bytes, counting in {@link #fieldFilled}. */
    private boolean skipExtra() {
        while (fieldFilled < extraLength) {
            ByteBuf first = firstReadable();
            if (first == null) {
                return false;
            }
            int skipped = Math.min(first.readableBytes(), extraLength - fieldFilled);
            first.skipBytes(skipped);
            fieldFilled += skipped;
        }
        fieldFilled = 0;
        return true;
    }

    /** Skips a field that ends with a zero byte, the zero included. */
    private boolean skipZeroTerminated() {
        ByteBuf first;
        while ((first = firstReadable()) != null) {
            int zero = first.indexOf(first.readerIndex(), first.writerIndex(), (byte) 0);
            if (zero >= 0) {
                first.readerIndex(zero + 1);
                return true;
            }
            first.skipBytes(first.readableBytes());
        }
        return false;
    }

    private void checkTrailer() throws ZipException {
        fieldFilled = 0;
        long expectedCrc = littleEndianInt(0);
        long expectedSize = littleEndianInt(4);
        if (expectedCrc != crc.getValue()) {
            throw new ZipException("the gzip trailer's CRC-32 0x" + Long.toHexString(expectedCrc)
                    + " does not match the decompressed data, whose CRC-32 is 0x" + Long.toHexString(crc.getValue()));
        }
        // ISIZE is the size modulo 2^32.
        if (expectedSize != (memberBytes & 0xffffffffL)) {
            throw new ZipException("the gzip trailer's size " + expectedSize + " does not match the "
                    + memberBytes + " bytes decompressed");
        }
        members++;
        stage = Stage.END;
    }

    private long littleEndianInt(int offset) {
        return (field[offset] & 0xffL) | (field[offset + 1] & 0xffL) << 8 | (field[offset + 2] & 0xffL) << 16
                | (field[offset + 3] & 0xffL) << 24;
    }

    // ---- Compressed data ----

    /**
     * Decompresses at most {@link #MAX_PIECE_BYTES} of output, or returns null when there is none. Moves on to the
     * gzip trailer, or to the end, once the compressed stream ends.
     */
    private ByteBuf inflate() throws ZipException {
        ByteBuf out = null;
        try {
            while (true) {
                ByteBuf first = firstReadable();
                if (first == null) {
                    return release(out);
                }
                if (out == null) {
                    out = allocator.heapBuffer(MAX_PIECE_BYTES, MAX_PIECE_BYTES);
                }
                ByteBuffer source = first.nioBuffer();
                int start = source.position();
                inflater.setInput(source);
                ByteBuffer target = out.nioBuffer(out.writerIndex(), out.writableBytes());
                int produced = inflater.inflate(target);
                int consumed = source.position() - start;
                first.skipBytes(consumed);
                if (produced > 0) {
                    crc.update(out.nioBuffer(out.writerIndex(), produced));
                    memberBytes += produced;
                    out.writerIndex(out.writerIndex() + produced);
                }
                if (inflater.finished()) {
                    stage = gzip ? Stage.GZIP_TRAILER : Stage.END;
                    return out.isReadable() ? out : release(out);
                }
                if (inflater.needsDictionary()) {
                    throw new ZipException("the deflate body needs a preset dictionary, which HTTP does not provide");
                }
                if (produced > 0) {
                    return out;
                }
                if (consumed == 0) {
                    // Looping on without progress would hang the event loop.
                    throw new IllegalStateException("Inflater read no byte of " + first.readableBytes()
                            + " bytes of input and wrote no output, with room for output");
                }
            }
        } catch (DataFormatException e) {
            release(out);
            throw new ZipException("the " + coding() + " body's compressed data is invalid: " + e.getMessage());
        } catch (ZipException | RuntimeException e) {
            release(out);
            throw e;
        }
    }

    private static ByteBuf release(ByteBuf out) {
        if (out != null) {
            out.release();
        }
        return null;
    }

    // ---- Input ----

    /** Returns the first input buffer that has bytes left, releasing the used ones before it, or null. */
    private ByteBuf firstReadable() {
        ByteBuf first;
        while ((first = input.peek()) != null) {
            if (first.isReadable()) {
                return first;
            }
            input.poll().release();
        }
        return null;
    }

    /** Returns true when an input byte is left, releasing the used-up buffers before it. */
    private boolean hasInput() {
        return firstReadable() != null;
    }

    private int readByte() {
        ByteBuf first = firstReadable();
        return first == null ? -1 : first.readUnsignedByte();
    }

    /** Returns the input byte {@code index} bytes ahead without taking it, or -1 when it has not arrived. */
    private int peek(int index) {
        int remaining = index;
        for (ByteBuf piece : input) {
            if (remaining < piece.readableBytes()) {
                return piece.getUnsignedByte(piece.readerIndex() + remaining);
            }
            remaining -= piece.readableBytes();
        }
        return -1;
    }

    /** Copies input into {@link #field} until it contains {@code count} bytes. Returns false when input ran out. */
    private boolean gather(int count) {
        while (fieldFilled < count) {
            ByteBuf first = firstReadable();
            if (first == null) {
                return false;
            }
            int length = Math.min(first.readableBytes(), count - fieldFilled);
            first.readBytes(field, fieldFilled, length);
            fieldFilled += length;
        }
        return true;
    }
}
