package io.portico.net.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ResponseParser on byte sequences, whole and split at every position. */
class ResponseParserTest {

    /** Everything the parser reported, in order, with bodies as text. */
    private static class Recorder implements ResponseParser.Listener {
        final List<String> events = new ArrayList<>();
        final List<HeadersMultiMap> heads = new ArrayList<>();
        final StringBuilder body = new StringBuilder();

        @Override
        public void head(int status, boolean keepAlive, HeadersMultiMap headers) {
            events.add("head " + status + (keepAlive ? " keep-alive" : " close"));
            heads.add(headers);
        }

        @Override
        public void content(ByteBuf piece) {
            body.append(piece.toString(StandardCharsets.ISO_8859_1));
            piece.release();
        }

        @Override
        public void last(ByteBuf piece, boolean trailing) {
            body.append(piece.toString(StandardCharsets.ISO_8859_1));
            piece.release();
            events.add("end " + body + (trailing ? " +trailing" : ""));
            body.setLength(0);
        }

        @Override
        public void invalid(String reason) {
            events.add("invalid: " + reason);
        }
    }

    private static ResponseParser parser(Recorder recorder) {
        ResponseParser parser = new ResponseParser(recorder, UnpooledByteBufAllocator.DEFAULT);
        parser.expect(false);
        return parser;
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static Recorder parse(String wire, boolean headRequest, int... splits) {
        Recorder recorder = new Recorder();
        ResponseParser parser = new ResponseParser(recorder, UnpooledByteBufAllocator.DEFAULT);
        parser.expect(headRequest);
        byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
        int from = 0;
        List<ByteBuf> reads = new ArrayList<>();
        for (int split : splits) {
            reads.add(Unpooled.copiedBuffer(bytes, from, split - from));
            from = split;
        }
        reads.add(Unpooled.copiedBuffer(bytes, from, bytes.length - from));
        for (ByteBuf read : reads) {
            parser.read(read);
            assertThat(read.refCnt()).as("each read is released").isZero();
        }
        return recorder;
    }

    private static Recorder parse(String wire) {
        return parse(wire, false);
    }

    /** Parses {@code wire} whole, then split in two at every position, and checks the events are always the same. */
    private static List<String> parseEverySplit(String wire) {
        List<String> whole = parse(wire).events;
        for (int split = 1; split < wire.length(); split++) {
            assertThat(parse(wire, false, split).events).as("split at %d", split).isEqualTo(whole);
        }
        return whole;
    }

    @Test
    void contentLengthBody() {
        assertThat(parseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello"))
                .containsExactly("head 200 keep-alive", "end hello");
    }

    @Test
    void headersKeepTheirCaseAndOrder() {
        Recorder recorder = parse("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nX-Custom: 1\r\nx-custom: 2\r\n"
                + "Content-Length: 0\r\n\r\n");
        List<String> names = new ArrayList<>();
        recorder.heads.get(0).forEach(entry -> names.add(entry.getKey() + "=" + entry.getValue()));
        assertThat(names).containsExactly("content-type=text/plain", "X-Custom=1", "x-custom=2", "Content-Length=0");
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() {
        assertThat(parseEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n6 \r\n world\r\n0\r\nTrailer-A: x\r\n\r\n"))
                .containsExactly("head 200 keep-alive", "end hello world");
    }

    @Test
    void twoResponsesInSequence() {
        Recorder recorder = new Recorder();
        ResponseParser parser = parser(recorder);
        parser.read(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"));
        parser.expect(false);
        parser.read(ascii("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n"
                + "\r\n"));
        assertThat(recorder.events).containsExactly("head 200 keep-alive", "end a", "head 404 keep-alive", "end b");
    }

    @Test
    void bytesAfterTheResponseAreReported() {
        assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\n\r\n").events)
                .startsWith("head 200 keep-alive", "end a +trailing");
        // A stray CRLF after a body is not a response.
        assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na\r\n").events)
                .containsExactly("head 200 keep-alive", "end a");
    }

    @Test
    void bodyUntilClose() {
        Recorder recorder = new Recorder();
        ResponseParser parser = parser(recorder);
        parser.read(ascii("HTTP/1.1 200 OK\r\n\r\nsome "));
        parser.read(ascii("bytes"));
        assertThat(parser.closed()).isTrue();
        assertThat(recorder.events).containsExactly("head 200 close", "end some bytes");
    }

    @Test
    void keepAliveFollowsVersionAndConnection() {
        assertThat(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 close", "end ");
        assertThat(parse("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 close", "end ");
        assertThat(parse("HTTP/1.1 200 OK\r\nConnection: closed,\t,x-close\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 keep-alive", "end ");
        assertThat(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive,\tCLOSE \r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 close", "end ");
        assertThat(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 close", "end ");
        assertThat(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 keep-alive", "end ");
    }

    @Test
    void bodylessResponses() {
        assertThat(parse("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n").events)
                .containsExactly("head 204 keep-alive", "end ");
        assertThat(parse("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n").events)
                .containsExactly("head 304 keep-alive", "end ");
        assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true).events)
                .containsExactly("head 200 keep-alive", "end ");
    }

    @Test
    void interimResponsesAreSkipped() {
        assertThat(parseEverySplit("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
                .containsExactly("head 200 keep-alive", "end ok");
    }

    @Test
    void interimResponsesUpToTheLimitAreSkipped() {
        String interim = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
        String wire = "HTTP/1.1 100 Continue\r\n\r\n"
                + interim.repeat(ResponseParser.MAX_INTERIM_RESPONSES - 1)
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        assertThat(parseEverySplit(wire)).containsExactly("head 200 keep-alive", "end ok");
    }

    @Test
    void interimResponsesOverTheLimitAreInvalid() {
        String wire = "HTTP/1.1 102 Processing\r\n\r\n".repeat(ResponseParser.MAX_INTERIM_RESPONSES + 1)
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        assertThat(parseEverySplit(wire))
                .containsExactly("invalid: more than 32 interim responses precede the final response");
    }

    @Test
    void interimResponseCountStartsAgainForEachRequest() {
        Recorder recorder = new Recorder();
        ResponseParser parser = parser(recorder);
        String interims = "HTTP/1.1 100 Continue\r\n\r\n".repeat(ResponseParser.MAX_INTERIM_RESPONSES);
        parser.read(ascii(interims + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"));
        parser.expect(false);
        parser.read(ascii(interims + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"));
        assertThat(recorder.events).containsExactly("head 200 keep-alive", "end a", "head 200 keep-alive", "end b");
    }

    @Test
    void switchingProtocolsStopsTheParser() {
        assertThat(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0081\u0005hello").events)
                .containsExactly("head 101 close");
    }

    @Test
    void chunkedWithContentLengthClosesTheConnection() {
        Recorder recorder = parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");
        assertThat(recorder.events).containsExactly("head 200 close", "end hello");
        assertThat(recorder.heads.get(0).contains("Content-Length")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked, gzip", "gzip, chunked", "gzip", "identity", "chunked, chunked", "xchunked"})
    void transferCodingOtherThanChunkedIsInvalid(String codings) {
        assertThat(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + codings + "\r\n\r\n2\r\nok\r\n0\r\n\r\n").events)
                .containsExactly("invalid: the Transfer-Encoding applies a coding other than one chunked");
    }

    @Test
    void noLengthReadsUntilClose() {
        Recorder recorder = new Recorder();
        ResponseParser parser = parser(recorder);
        parser.read(ascii("HTTP/1.1 200 OK\r\n\r\nraw"));
        parser.closed();
        assertThat(recorder.events).containsExactly("head 200 close", "end raw");
    }

    @Test
    void differentContentLengthsAreInvalid() {
        Recorder repeated = parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nok");
        assertThat(repeated.events).containsExactly("head 200 keep-alive", "end ok");
        assertThat(repeated.heads.get(0).getAll("Content-Length")).containsExactly("2");
        assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok").events)
                .containsExactly("invalid: the Content-Length is not one non-negative number");
    }

    @Test
    void contentLengthIsPassedOnAsOneNumber() {
        assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 002\r\n\r\nok").heads.get(0).get("Content-Length"))
                .isEqualTo("2");
        assertThat(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 7, 7\r\n\r\n").heads.get(0)
                .getAll("Content-Length")).containsExactly("7");
        assertThat(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n").events)
                .containsExactly("invalid: the Content-Length is not one non-negative number");
    }

    @Test
    void foldedFramingFieldsAreReadJoined() {
        assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n 0\r\n\r\nhello").events)
                .containsExactly("invalid: the Content-Length is not one non-negative number");
        // The joined value "chunked , gzip" names gzip too, so the response is invalid.
        assertThat(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n , gzip\r\n\r\n2\r\nok\r\n0\r\n\r\n").events)
                .containsExactly("invalid: the Transfer-Encoding applies a coding other than one chunked");
        assertThat(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n ,close\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 close", "end ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"+5", "-1", "0x5", "5 5", "", "99999999999999999999"})
    void malformedContentLengthIsInvalid(String value) {
        assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: " + value + "\r\n\r\nhello").events)
                .containsExactly("invalid: the Content-Length is not one non-negative number");
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK",
        "http/1.1 200 OK", "HTTP/1.1 099 Low", "ICY 200 OK", "HTTP/1.1 2x0 OK",
        "HTTP/1.1 600 High", "HTTP/1.1 999 Odd"})
    void malformedStatusLineIsInvalid(String line) {
        assertThat(parse(line + "\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("invalid: the status line is malformed");
    }

    @Test
    void statusLineWithoutReasonIsAccepted() {
        assertThat(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").events)
                .containsExactly("head 200 keep-alive", "end ");
    }

    @Test
    void bareLineFeedsEndHeadLines() {
        assertThat(parseEverySplit("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"))
                .containsExactly("head 200 keep-alive", "end ok");
    }

    @Test
    void whitespaceBeforeTheColonIsRemoved() {
        Recorder recorder = parse("HTTP/1.1 200 OK\r\nX-Name \t: value \t\r\nContent-Length: 0\r\n\r\n");
        assertThat(recorder.heads.get(0).get("X-Name")).isEqualTo("value");
    }

    @Test
    void foldedLinesAreJoinedWithOneSpace() {
        Recorder recorder = parse("HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\n\tthree\r\nContent-Length: 0\r\n\r\n");
        assertThat(recorder.heads.get(0).get("X-Folded")).isEqualTo("one two three");
    }

    @Test
    void obsTextIsReadAsLatin1() {
        Recorder recorder = parse("HTTP/1.1 200 OK\r\nX-Text: caf\u00e9\r\nContent-Length: 0\r\n\r\n");
        assertThat(recorder.heads.get(0).get("X-Text")).isEqualTo("caf\u00e9");
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Bad: a\u0000b", "X-Bad: a\u0001b", "X-Bad: a\rb", "X-Bad: a\u007fb",
        "Bad Name: value", "X-Bad@: value", ": no name", "no colon", " X-Leading: space"})
    void malformedHeaderLineIsInvalid(String line) {
        assertThat(parse("HTTP/1.1 200 OK\r\n" + line + "\r\nContent-Length: 0\r\n\r\n").events)
                .hasSize(1).first().asString().startsWith("invalid: ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"5\nhello\r\n0\r\n\r\n", "5\r\nhelloXX0\r\n\r\n", "g\r\nhello\r\n0\r\n\r\n",
        "5 x\r\nhello\r\n0\r\n\r\n", "80000000\r\n", "\r\nhello\r\n"})
    void malformedChunkIsInvalid(String body) {
        List<String> events = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body).events;
        assertThat(events.get(0)).isEqualTo("head 200 keep-alive");
        assertThat(events.get(events.size() - 1)).startsWith("invalid: ");
    }

    @Test
    void headLongerThanTheLimitIsInvalid() {
        String big = "X-Big: " + "a".repeat(ResponseParser.MAX_HEAD_BYTES) + "\r\n";
        assertThat(parse("HTTP/1.1 200 OK\r\n" + big + "\r\n").events)
                .containsExactly("invalid: the response head is longer than 16384 bytes");
        // The limit applies while the head arrives in pieces, before its end is seen.
        assertThat(parse("HTTP/1.1 200 OK\r\n" + big, false, 100, 9000).events)
                .containsExactly("invalid: the response head is longer than 16384 bytes");
    }

    @Test
    void stoppedParserDiscardsAndReleases() {
        Recorder recorder = new Recorder();
        ResponseParser parser = parser(recorder);
        parser.read(ascii("HTTP/1.1 200 OK\r\nContent-Le"));
        parser.stop();
        ByteBuf more = ascii("ngth: 0\r\n\r\n");
        parser.read(more);
        assertThat(more.refCnt()).isZero();
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void bodyPiecesAreSlicesOfTheReadBuffer() {
        Recorder recorder = new Recorder() {
            @Override
            public void last(ByteBuf piece, boolean trailing) {
                assertThat(piece.unwrap()).isNotNull();
                super.last(piece, trailing);
            }
        };
        ResponseParser parser = parser(recorder);
        parser.read(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        assertThat(recorder.events).containsExactly("head 200 keep-alive", "end ok");
    }
}
