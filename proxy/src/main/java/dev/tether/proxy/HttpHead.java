package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The head of an HTTP/1.x message as the relay observes it: its start line split in three, and its header
 * lines. The relay forwards the head's original bytes; this only reads them.
 */
record HttpHead(String first, String second, String third, List<Header> headers) {

    /** The engine accepts heads up to 1 MiB (Go's DefaultMaxHeaderBytes); so does tether. */
    static final int MAX_BYTES = 1 << 20;

    record Header(String name, String value) {}

    /** Thrown for a head the engine would not parse either; the message is shown to the client. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    /**
     * The index just past the empty line that ends the head starting at {@code from}, or -1 if the head
     * is not complete yet. Lines end with CRLF or a bare LF, as Go's reader accepts.
     */
    static int end(ByteBuf buf, int from) {
        int to = buf.writerIndex();
        int i = from;
        while (i < to) {
            int lf = buf.forEachByte(i, to - i, ByteProcessor.FIND_LF);
            if (lf < 0) {
                return -1;
            }
            // An empty line: LF right at the line start, or CR LF.
            if (lf == i || (lf == i + 1 && buf.getByte(i) == '\r')) {
                return lf + 1;
            }
            i = lf + 1;
        }
        return -1;
    }

    static HttpHead parse(ByteBuf buf, int from, int end) throws Malformed {
        String text = buf.toString(from, end - from, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n", -1);
        String[] start = lines[0].split(" ", 3);
        if (start.length < 3 || start[0].isEmpty() || start[1].isEmpty()) {
            throw new Malformed("malformed HTTP start line '" + abbreviate(lines[0]) + "'");
        }
        List<Header> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                break;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new Malformed("obsolete folded header line '" + abbreviate(line) + "'");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line, colon)) {
                throw new Malformed("malformed header line '" + abbreviate(line) + "'");
            }
            headers.add(new Header(line.substring(0, colon), line.substring(colon + 1).strip()));
        }
        return new HttpHead(start[0], start[1], start[2], List.copyOf(headers));
    }

    List<String> values(String name) {
        List<String> values = new ArrayList<>(1);
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                values.add(h.value());
            }
        }
        return values;
    }

    Optional<String> value(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return Optional.of(h.value());
            }
        }
        return Optional.empty();
    }

    /** True when a comma-separated header such as Connection lists {@code token}. */
    boolean lists(String name, String token) {
        for (String value : values(name)) {
            for (String part : value.split(",")) {
                if (part.strip().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * How the body that follows this head is delimited. A request without Content-Length or chunked coding
     * has no body; a response without them runs until the connection closes.
     */
    Framing framing(boolean request) throws Malformed {
        List<String> encodings = values("Transfer-Encoding");
        List<String> lengths = values("Content-Length");
        if (!encodings.isEmpty()) {
            if (request && !lengths.isEmpty()) {
                // Two framings in one request is how requests are smuggled past a proxy.
                throw new Malformed("both Content-Length and Transfer-Encoding are set; send only one");
            }
            String last = String.join(",", encodings).toLowerCase(Locale.ROOT);
            if (!last.strip().endsWith("chunked")) {
                if (request) {
                    throw new Malformed("unsupported Transfer-Encoding '" + last + "'; use chunked");
                }
                return Framing.UNTIL_CLOSE;
            }
            return Framing.CHUNKED;
        }
        if (!lengths.isEmpty()) {
            long length = -1;
            for (String value : lengths) {
                for (String part : value.split(",")) {
                    long parsed = parseLength(part.strip());
                    if (length != -1 && parsed != length) {
                        throw new Malformed("conflicting Content-Length values " + lengths);
                    }
                    length = parsed;
                }
            }
            return length == 0 ? Framing.NONE : Framing.fixed(length);
        }
        return request ? Framing.NONE : Framing.UNTIL_CLOSE;
    }

    private static long parseLength(String text) throws Malformed {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Malformed("invalid Content-Length '" + abbreviate(text) + "'");
        }
        return Long.parseLong(text);
    }

    private static boolean isToken(String line, int colon) {
        for (int i = 0; i < colon; i++) {
            char c = line.charAt(i);
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
