package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import java.util.List;

/** A response's head: {@code HTTP/1.1 201 Created} and its headers. */
record StatusHead(String version, int status, String reason, List<Header> headers) implements HttpHead {

    static StatusHead parse(ByteBuf buf, int from, int end) throws Malformed {
        Lines lines = Lines.read(buf, from, end);
        try {
            return new StatusHead(lines.first(), Integer.parseInt(lines.second()), lines.third(), lines.headers());
        } catch (NumberFormatException e) {
            throw new Malformed("a response without a status code");
        }
    }

    /** An interim answer (100 Continue): the final one follows for the same request. */
    boolean isInterim() {
        return isInterim(status);
    }

    static boolean isInterim(int status) {
        return status >= 100 && status < 200 && status != 101;
    }

    /**
     * How the body is delimited. A response without Content-Length or chunked coding, or with a coding other than
     * chunked last, runs until the connection closes.
     */
    @Override
    public Framing framing() throws Malformed {
        List<String> encodings = values("Transfer-Encoding");
        if (!encodings.isEmpty()) {
            return HttpHead.endsChunked(HttpHead.encodings(encodings)) ? Framing.CHUNKED : Framing.UNTIL_CLOSE;
        }
        List<String> lengths = values("Content-Length");
        if (lengths.isEmpty()) {
            return Framing.UNTIL_CLOSE;
        }
        return Framing.fixed(HttpHead.contentLength(lengths));
    }
}
