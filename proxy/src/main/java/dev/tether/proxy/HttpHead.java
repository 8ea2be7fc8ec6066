package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The head of an HTTP/1.x message as the relay observes it: a request's or a response's start line, and its header
 * lines. The relay forwards the head's original bytes; this only reads them.
 */
sealed interface HttpHead permits RequestHead, StatusHead {

    /** The engine accepts heads up to 1 MiB (Go's DefaultMaxHeaderBytes); so does tether. */
    int MAX_BYTES = 1 << 20;

    record Header(String name, String value) {}

    /** Thrown for a head the engine would not parse either; the message is shown to the client. */
    final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    List<Header> headers();

    /** How the body that follows this head is delimited. */
    Framing framing() throws Malformed;

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

    default List<String> values(String name) {
        List<String> values = new ArrayList<>(1);
        for (Header h : headers()) {
            if (h.name().equalsIgnoreCase(name)) {
                values.add(h.value());
            }
        }
        return values;
    }

    default Optional<String> value(String name) {
        for (Header h : headers()) {
            if (h.name().equalsIgnoreCase(name)) {
                return Optional.of(h.value());
            }
        }
        return Optional.empty();
    }

    /** True when a comma-separated header such as Connection lists {@code token}. */
    default boolean lists(String name, String token) {
        for (String value : values(name)) {
            for (String part : value.split(",")) {
                if (part.strip().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** A head's lines, read once: the start line split at its first two spaces, and the headers after it. */
    record Lines(String first, String second, String third, List<Header> headers) {

        static Lines read(ByteBuf buf, int from, int end) throws Malformed {
            String text = buf.toString(from, end - from, StandardCharsets.ISO_8859_1);
            int lineEnd = lineEnd(text, 0);
            String start = line(text, 0, lineEnd);
            // As start.split(" ", 3): three parts, of which the first two are not empty.
            int space1 = start.indexOf(' ');
            int space2 = space1 < 0 ? -1 : start.indexOf(' ', space1 + 1);
            if (space2 < 0 || space1 == 0 || space2 == space1 + 1) {
                throw new Malformed("malformed HTTP start line '" + abbreviate(start) + "'");
            }
            List<Header> headers = new ArrayList<>();
            for (int at = lineEnd + 1; at < text.length(); ) {
                int lf = lineEnd(text, at);
                String line = line(text, at, lf);
                at = lf + 1;
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
            return new Lines(start.substring(0, space1), start.substring(space1 + 1, space2),
                    start.substring(space2 + 1), List.copyOf(headers));
        }

        /** The index of the LF that ends the line starting at {@code from}, or the text's length for the last. */
        private static int lineEnd(String text, int from) {
            int lf = text.indexOf('\n', from);
            return lf < 0 ? text.length() : lf;
        }

        /** The line up to {@code lf}, without the CR before it: what the line-splitting regex {@code \r?\n} leaves. */
        private static String line(String text, int from, int lf) {
            boolean crlf = lf < text.length() && lf > from && text.charAt(lf - 1) == '\r';
            return text.substring(from, crlf ? lf - 1 : lf);
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
    }

    /** The length all Content-Length values agree on. */
    static long contentLength(List<String> lengths) throws Malformed {
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
        return length;
    }

    private static long parseLength(String text) throws Malformed {
        if (text.isEmpty() || text.length() > 18) {
            throw new Malformed("invalid Content-Length '" + abbreviate(text) + "'");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new Malformed("invalid Content-Length '" + abbreviate(text) + "'");
            }
        }
        return Long.parseLong(text);
    }

    /** A message is chunked when chunked is its last coding; {@code encodings} as {@link #encodings} joins them. */
    static boolean endsChunked(String encodings) {
        return encodings.strip().endsWith("chunked");
    }

    /** All Transfer-Encoding values as one list, in lower case. */
    static String encodings(List<String> values) {
        return String.join(",", values).toLowerCase(Locale.ROOT);
    }
}
