package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpFramingTest {

    @Test
    void aHeadEndsAtTheFirstEmptyLineWithCrlfOrBareLf() {
        assertThat(HttpHead.end(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY"), 0)).isEqualTo(27);
        assertThat(HttpHead.end(bytes("GET / HTTP/1.1\nHost: x\n\nBODY"), 0)).isEqualTo(24);
        assertThat(HttpHead.end(bytes("GET / HTTP/1.1\r\nHost: x\r\n"), 0)).isEqualTo(-1);
    }

    @Test
    void requestFraming() throws Exception {
        assertThat(request("Content-Length: 12").framing()).isEqualTo(Framing.fixed(12));
        assertThat(request("Transfer-Encoding: chunked").framing()).isEqualTo(Framing.CHUNKED);
        assertThat(request("Content-Length: 3\r\nContent-Length: 3").framing()).isEqualTo(Framing.fixed(3));
        assertThat(request("X-Other: 1").framing()).isEqualTo(Framing.NONE);
        assertThat(response("").framing()).isEqualTo(Framing.UNTIL_CLOSE);
    }

    @Test
    void ambiguousRequestFramingIsRefused() {
        assertThatThrownBy(() -> request("Content-Length: 3\r\nTransfer-Encoding: chunked").framing())
                .hasMessageContaining("both Content-Length and Transfer-Encoding");
        assertThatThrownBy(() -> request("Content-Length: 3\r\nContent-Length: 4").framing())
                .hasMessageContaining("conflicting Content-Length");
        assertThatThrownBy(() -> request("Content-Length: -1").framing()).hasMessageContaining("invalid Content-Length");
        assertThatThrownBy(() -> request("Transfer-Encoding: gzip").framing()).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> RequestHead.parse(bytes("GARBAGE\r\n\r\n"), 0, 11)).hasMessageContaining("start line");
        assertThatThrownBy(() -> request("Bad Header: 1")).hasMessageContaining("malformed header");
    }

    @Test
    void chunkedScannerFindsTheEndAcrossReadsAndDecodes() throws Exception {
        String body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
        ChunkedScanner scanner = new ChunkedScanner();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int consumed = 0;
        for (int i = 0; i < body.length(); i++) { // one byte per read: the worst split
            ByteBuf one = bytes(body.substring(i, i + 1));
            consumed += scanner.scan(one, d -> data.writeBytes(ByteBufBytes.of(d)));
        }
        assertThat(scanner.isDone()).isTrue();
        assertThat(consumed).isEqualTo(body.length());
        assertThat(data.toString(StandardCharsets.UTF_8)).isEqualTo("hello world");
    }

    @Test
    void chunkedScannerStopsAtTheEndOfTheBody() throws Exception {
        ChunkedScanner scanner = new ChunkedScanner();
        ByteBuf buf = bytes("3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\n");
        assertThat(scanner.scan(buf, null)).isEqualTo(13);
        assertThat(scanner.isDone()).isTrue();
    }

    @Test
    void badChunkSizesAreMalformed() {
        assertThatThrownBy(() -> new ChunkedScanner().scan(bytes("zz\r\n"), null)).hasMessageContaining("invalid chunk size");
        assertThatThrownBy(() -> new ChunkedScanner().scan(bytes("1\r\nab\r\n"), null)).hasMessageContaining("longer than its size");
    }

    @Test
    void aCreateHeadKeepsItsBytesAndGetsAFreshLength() {
        ByteBuf head = bytes("POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n"
                + "User-Agent: Docker-Client/28\r\nExpect: 100-continue\r\n\r\n");
        assertThat(CreateInterceptor.withContentLength(head, 42).toString(StandardCharsets.ISO_8859_1))
                .isEqualTo("POST /containers/create HTTP/1.1\r\nHost: docker\r\nUser-Agent: Docker-Client/28\r\n"
                        + "Content-Length: 42\r\n\r\n");
    }

    private static RequestHead request(String headers) throws HttpHead.Malformed {
        ByteBuf buf = bytes("POST /x HTTP/1.1\r\n" + headers + "\r\n\r\n");
        return RequestHead.parse(buf, 0, HttpHead.end(buf, 0));
    }

    private static StatusHead response(String headers) throws HttpHead.Malformed {
        ByteBuf buf = bytes("HTTP/1.1 200 OK\r\n" + headers + "\r\n");
        return StatusHead.parse(buf, 0, HttpHead.end(buf, 0));
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static final class ByteBufBytes {
        static byte[] of(ByteBuf b) {
            byte[] out = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), out);
            return out;
        }
    }
}
