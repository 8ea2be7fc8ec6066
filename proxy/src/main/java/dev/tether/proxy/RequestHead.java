package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import java.util.List;

/** A request's head: {@code POST /containers/create HTTP/1.1} and its headers. */
record RequestHead(String method, String target, String version, List<Header> headers) implements HttpHead {

    static RequestHead parse(ByteBuf buf, int from, int end) throws Malformed {
        Lines lines = Lines.read(buf, from, end);
        return new RequestHead(lines.first(), lines.second(), lines.third(), lines.headers());
    }

    boolean isHead() {
        return method.equalsIgnoreCase("HEAD");
    }

    /**
     * How the body is delimited. A request without Content-Length or chunked coding has no body; one that could be
     * read two ways is refused, since that is how requests are smuggled past a proxy.
     */
    @Override
    public Framing framing() throws Malformed {
        List<String> encodings = values("Transfer-Encoding");
        List<String> lengths = values("Content-Length");
        if (!encodings.isEmpty()) {
            if (!lengths.isEmpty()) {
                throw new Malformed("both Content-Length and Transfer-Encoding are set; send only one");
            }
            String all = HttpHead.encodings(encodings);
            if (!HttpHead.endsChunked(all)) {
                throw new Malformed("unsupported Transfer-Encoding '" + all + "'; use chunked");
            }
            return Framing.CHUNKED;
        }
        return lengths.isEmpty() ? Framing.NONE : Framing.fixed(HttpHead.contentLength(lengths));
    }
}
