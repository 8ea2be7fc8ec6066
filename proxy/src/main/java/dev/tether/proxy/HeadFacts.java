package dev.tether.proxy;

import io.netty.buffer.ByteBuf;

/**
 * The few facts the relay needs of a head, read from its bytes where they lie: the method's HEAD-ness, the route of
 * the request's target, the status of a response, and the framing headers (Content-Length, Transfer-Encoding,
 * Connection: upgrade, Upgrade). No regular expression, no String, no allocation: this runs for every request and
 * every response, on the event loop that relays the bytes.
 *
 * <p>It reads only the common, well-formed shapes of a head; for anything else (a folded or malformed line, a
 * repeated framing header, a list of lengths, a percent-escape or dot segment in the path, an absolute URL) it says
 * so, and the relay reads the head as Strings ({@link RequestHead}, {@link StatusHead}, {@link Route}), which decide
 * those cases and word the errors. So it never decides differently from them: {@code HeadFactsTest} checks it
 * against them head by head.
 *
 * <p>Mutable, and reused for every head of one relay half, so that reading a head allocates nothing.
 */
final class HeadFacts {

    /** Content-Length, or -1 when there is none. */
    private long length;
    private boolean chunked;
    /** A Transfer-Encoding header, chunked or not. */
    private boolean encoded;
    /** {@code Connection: upgrade} or an {@code Upgrade} header: the request may hijack the connection. */
    private boolean upgrade;
    private boolean headMethod;
    private boolean postMethod;
    private int status;
    /** The route, or null when the target needs {@link Route#of}. */
    private Route route;

    long length() {
        return length;
    }

    boolean chunked() {
        return chunked;
    }

    boolean headRequest() {
        return headMethod;
    }

    int status() {
        return status;
    }

    /** The request's route as {@link Route#of} gives it, or null when only that can tell. */
    Route route() {
        return route;
    }

    /**
     * A response is framed by its close when it has neither a Content-Length nor chunked coding last
     * ({@link StatusHead#framing}).
     */
    boolean untilClose() {
        return !chunked && length < 0;
    }

    /** Takes a status as {@link StatusHead#parse} read it. */
    void status(int status) {
        this.status = status;
    }

    /** Takes a head's framing as {@link RequestHead#framing} or {@link StatusHead#framing} decided it. */
    void framing(Framing framing, boolean head) {
        headMethod = head;
        route = null;
        switch (framing) {
            case Framing.Fixed fixed -> {
                length = fixed.length();
                chunked = false;
            }
            case Framing.Chunked c -> {
                length = -1;
                chunked = true;
            }
            case Framing.UntilClose u -> {
                length = -1;
                chunked = false;
            }
        }
    }

    /**
     * Reads the request head in {@code buf} from {@code from} to {@code end} (just past its empty line).
     *
     * @return false if this head is not one of the shapes read here: then {@link RequestHead#parse} must read it
     */
    boolean request(ByteBuf buf, int from, int end) {
        int lineEnd = lineEnd(buf, from, end);
        int space1 = indexOf(buf, from, lineEnd, ' ');
        int space2 = space1 < 0 ? -1 : indexOf(buf, space1 + 1, lineEnd, ' ');
        if (space2 < 0 || space1 == from || space2 == space1 + 1) {
            return false;
        }
        headMethod = equalsAscii(buf, from, space1, "head");
        postMethod = equalsAscii(buf, from, space1, "post");
        if (!headers(buf, lineEnd + 1, end)) {
            return false;
        }
        if (encoded && (length >= 0 || !chunked)) {
            return false; // refused by RequestHead#framing, in its words
        }
        if (!encoded && length < 0) {
            length = 0; // a request without framing headers has no body
        }
        route = route(buf, space1 + 1, space2);
        return true;
    }

    /**
     * Reads the response head in {@code buf} from {@code from} to {@code end} (just past its empty line).
     *
     * @return false if this head is not one of the shapes read here: then {@link StatusHead#parse} must read it
     */
    boolean response(ByteBuf buf, int from, int end) {
        int lineEnd = lineEnd(buf, from, end);
        int space1 = indexOf(buf, from, lineEnd, ' ');
        int space2 = space1 < 0 ? -1 : indexOf(buf, space1 + 1, lineEnd, ' ');
        if (space2 < 0 || space1 == from || space2 - space1 - 1 < 1 || space2 - space1 - 1 > 9) {
            return false;
        }
        int code = 0;
        for (int i = space1 + 1; i < space2; i++) {
            byte b = buf.getByte(i);
            if (b < '0' || b > '9') {
                return false;
            }
            code = code * 10 + (b - '0');
        }
        status = code;
        headMethod = false;
        route = null;
        if (!headers(buf, lineEnd + 1, end)) {
            return false;
        }
        if (encoded) {
            length = -1; // chunked last, or framed by close
        }
        return true;
    }

    /** The header lines from {@code at} up to the head's empty line; false for any line not read here. */
    private boolean headers(ByteBuf buf, int at, int end) {
        length = -1;
        chunked = false;
        encoded = false;
        upgrade = false;
        boolean lengthSeen = false;
        while (at < end) {
            int lf = lineEnd(buf, at, end);
            int to = lf > at && buf.getByte(lf - 1) == '\r' ? lf - 1 : lf;
            if (to == at) {
                return true; // the empty line
            }
            int colon = -1;
            for (int i = at; i < to; i++) {
                byte b = buf.getByte(i);
                if (b == ':') {
                    colon = i;
                    break;
                }
                if (!isTokenByte(b)) {
                    return false; // folded, or not a header line: RequestHead words it
                }
            }
            if (colon <= at) {
                return false;
            }
            int value = colon + 1;
            int valueEnd = to;
            while (value < valueEnd && isWhitespace(buf.getByte(value))) {
                value++;
            }
            while (valueEnd > value && isWhitespace(buf.getByte(valueEnd - 1))) {
                valueEnd--;
            }
            int nameLength = colon - at;
            if (nameLength == 14 && equalsAscii(buf, at, colon, "content-length")) {
                if (lengthSeen || (length = digits(buf, value, valueEnd)) < 0) {
                    return false; // repeated, a list, or invalid: HttpHead#contentLength decides
                }
                lengthSeen = true;
            } else if (nameLength == 17 && equalsAscii(buf, at, colon, "transfer-encoding")) {
                if (encoded) {
                    return false;
                }
                encoded = true;
                chunked = valueEnd - value >= 7 && equalsAscii(buf, valueEnd - 7, valueEnd, "chunked");
            } else if (nameLength == 10 && equalsAscii(buf, at, colon, "connection")) {
                upgrade |= listsUpgrade(buf, value, valueEnd);
            } else if (nameLength == 7 && equalsAscii(buf, at, colon, "upgrade")) {
                upgrade = true;
            }
            at = lf + 1;
        }
        return true;
    }

    /** Whether a comma-separated Connection value lists the token upgrade, in any casing ({@link HttpHead#lists}). */
    private static boolean listsUpgrade(ByteBuf buf, int from, int to) {
        int part = from;
        while (part <= to) {
            int comma = indexOf(buf, part, to, ',');
            int partEnd = comma < 0 ? to : comma;
            int a = part;
            int b = partEnd;
            while (a < b && isWhitespace(buf.getByte(a))) {
                a++;
            }
            while (b > a && isWhitespace(buf.getByte(b - 1))) {
                b--;
            }
            if (equalsAscii(buf, a, b, "upgrade")) {
                return true;
            }
            if (comma < 0) {
                return false;
            }
            part = comma + 1;
        }
        return false;
    }

    /** A Content-Length of 1 to 18 digits, or -1. */
    private static long digits(ByteBuf buf, int from, int to) {
        if (to - from < 1 || to - from > 18) {
            return -1;
        }
        long n = 0;
        for (int i = from; i < to; i++) {
            byte b = buf.getByte(i);
            if (b < '0' || b > '9') {
                return -1;
            }
            n = n * 10 + (b - '0');
        }
        return n;
    }

    /**
     * The route of a target that is a plain path: no percent-escape, no empty or dot segment, printable ASCII; the
     * optional version prefix ({@code /v1.43}, as {@link Route#enginePath} takes it) is skipped. Null for any other
     * target.
     */
    private Route route(ByteBuf buf, int from, int to) {
        if (buf.getByte(from) != '/') {
            return null;
        }
        int pathEnd = to;
        for (int i = from; i < to; i++) {
            byte b = buf.getByte(i);
            if (b == '?' || b == '#') {
                pathEnd = i;
                break;
            }
            if (b == '%' || b <= ' ' || b >= 127) {
                return null;
            }
        }
        // The path's segments, each after a slash; up to three after the version prefix matter.
        int[] starts = segments; // reused: no allocation per request
        int count = 0;
        int at = from;
        while (at < pathEnd) {
            int start = at + 1;
            int slash = indexOf(buf, start, pathEnd, '/');
            int segmentEnd = slash < 0 ? pathEnd : slash;
            int n = segmentEnd - start;
            if (n == 0) {
                if (pathEnd - from == 1) {
                    break; // "/" itself
                }
                return null; // an empty segment: Route#enginePath cleans it
            }
            if (n <= 2 && buf.getByte(start) == '.' && (n == 1 || buf.getByte(start + 1) == '.')) {
                return null; // a dot segment
            }
            if (count < starts.length) {
                starts[count] = start;
                ends[count] = segmentEnd;
            }
            count++;
            at = segmentEnd;
        }
        int first = count > 1 && isVersion(buf, starts[0], ends[0]) ? 1 : 0;
        int n = count - first;
        if (n == 2 && postMethod && segment(buf, first, "containers") && segment(buf, first + 1, "create")) {
            return Route.CREATE;
        }
        if (upgrade || (n == 3 && ((segment(buf, first, "containers") && segment(buf, first + 2, "attach"))
                || (segment(buf, first, "exec") && segment(buf, first + 2, "start"))))) {
            return Route.HIJACK;
        }
        return Route.OTHER;
    }

    private final int[] segments = new int[4];
    private final int[] ends = new int[4];

    private boolean segment(ByteBuf buf, int index, String lowerCase) {
        return index < segments.length && equalsAscii(buf, segments[index], ends[index], lowerCase);
    }

    /** {@code v} or {@code V}, a digit or a dot, then digits, letters, dots and dashes ({@link Route}'s prefix). */
    private static boolean isVersion(ByteBuf buf, int from, int to) {
        if (to - from < 2 || (buf.getByte(from) | 0x20) != 'v') {
            return false;
        }
        byte second = buf.getByte(from + 1);
        if (!(second >= '0' && second <= '9') && second != '.') {
            return false;
        }
        for (int i = from + 2; i < to; i++) {
            byte b = buf.getByte(i);
            if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '.'
                    || b == '-')) {
                return false;
            }
        }
        return true;
    }

    /** The bytes from {@code from} to {@code to} are {@code lowerCase}'s letters in either ASCII casing. */
    private static boolean equalsAscii(ByteBuf buf, int from, int to, String lowerCase) {
        if (to - from != lowerCase.length()) {
            return false;
        }
        for (int i = 0; i < lowerCase.length(); i++) {
            int b = buf.getByte(from + i);
            char c = lowerCase.charAt(i);
            if (b != c && !(c >= 'a' && c <= 'z' && b == c - ('a' - 'A'))) {
                return false;
            }
        }
        return true;
    }

    /** The index of the LF that ends the line starting at {@code from}, or {@code end}. */
    private static int lineEnd(ByteBuf buf, int from, int end) {
        int lf = indexOf(buf, from, end, '\n');
        return lf < 0 ? end : lf;
    }

    private static int indexOf(ByteBuf buf, int from, int to, char c) {
        for (int i = from; i < to; i++) {
            if (buf.getByte(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /** What {@link String#strip} takes off in ISO-8859-1: {@link Character#isWhitespace}. */
    private static boolean isWhitespace(byte b) {
        return (b >= 9 && b <= 13) || (b >= 28 && b <= 32);
    }

    /** A header name's byte as {@link HttpHead.Lines} accepts it. */
    private static boolean isTokenByte(byte b) {
        if (b <= ' ' || b >= 127) {
            return false;
        }
        return switch (b) {
            case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}' -> false;
            default -> true;
        };
    }
}
