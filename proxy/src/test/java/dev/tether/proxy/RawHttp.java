package dev.tether.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A tiny HTTP/1.1 client over a unix socket that sends exactly the bytes it is given and reads exactly what
 * comes back: for the cases a docker CLI cannot produce (one write holding a request and its stream, half-close,
 * a dropped connection, a websocket handshake, a chunked create body). Every read has a deadline.
 */
public final class RawHttp implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private Duration timeout = DEFAULT_TIMEOUT;
    private byte[] buf = new byte[64 * 1024];
    private int start;
    private int end;
    private boolean eof;

    private RawHttp(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        this.key = channel.register(selector, 0);
    }

    public static RawHttp connect(Path socket) {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new RawHttp(ch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + socket, e);
        }
    }

    public RawHttp timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public boolean isOpen() {
        return channel.isOpen();
    }

    // ---------------------------------------------------------------- requests

    /** Builds the bytes of a request; {@code Host: docker} is added, and Content-Length when a body is set. */
    public static final class Request {
        private final String method;
        private final String target;
        private final List<String[]> headers = new ArrayList<>();
        private byte[] body;
        private boolean contentLength = true;

        public Request(String method, String target) {
            this.method = method;
            this.target = target;
            headers.add(new String[] {"Host", "docker"});
        }

        public Request header(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }

        public Request json(String json) {
            header("Content-Type", "application/json");
            body = json.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        public Request body(byte[] body) {
            this.body = body;
            return this;
        }

        /** The body is sent as it is given (for example already chunk-encoded), without a Content-Length. */
        public Request noContentLength() {
            contentLength = false;
            return this;
        }

        public String method() {
            return method;
        }

        public byte[] bytes() {
            var sb = new StringBuilder();
            sb.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            for (String[] h : headers) {
                sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
            if (body != null && contentLength) {
                sb.append("Content-Length: ").append(body.length).append("\r\n");
            }
            sb.append("\r\n");
            byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
            return body == null ? head : concat(head, body);
        }
    }

    public static Request request(String method, String target) {
        return new Request(method, target);
    }

    /** Encodes {@code body} as HTTP chunks of at most {@code chunkSize} bytes, with the last-chunk. */
    public static byte[] chunked(byte[] body, int chunkSize) {
        var out = new ByteArrayOutputStream();
        for (int i = 0; i < body.length; i += chunkSize) {
            int n = Math.min(chunkSize, body.length - i);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Sends a request and reads its whole response (head and body). */
    public Response exchange(Request request) {
        write(request.bytes());
        Head head = readHead();
        return new Response(head, readBody(head, request.method()));
    }

    /** Writes all of {@code bytes}. */
    public void write(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        Instant deadline = Instant.now().plus(timeout);
        try {
            while (b.hasRemaining()) {
                if (channel.write(b) == 0) {
                    await(SelectionKey.OP_WRITE, deadline, "writing " + b.remaining() + " more bytes");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One single write(2) of {@code bytes}; returns how many the kernel took. */
    public int writeOnce(byte[] bytes) {
        try {
            return channel.write(ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Half-closes: shutdown(SHUT_WR), as the docker CLI's CloseWrite does when its stdin ends. */
    public void shutdownOutput() {
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- responses

    public record Head(String statusLine, int status, List<Map.Entry<String, String>> headers) {

        public Optional<String> header(String name) {
            return headers.stream()
                    .filter(h -> h.getKey().equalsIgnoreCase(name))
                    .map(Map.Entry::getValue)
                    .findFirst();
        }

        public boolean isChunked() {
            return header("Transfer-Encoding").map(v -> v.toLowerCase(Locale.ROOT).contains("chunked")).orElse(false);
        }
    }

    public record Response(Head head, byte[] body) {

        public int status() {
            return head.status();
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + text(), e);
            }
        }

        @Override
        public String toString() {
            String t = text();
            return head.statusLine() + " " + head.headers() + " " + (t.length() > 2000 ? t.substring(0, 2000) + "…" : t);
        }
    }

    /** Reads a status line and headers; bytes after the blank line stay buffered for the body or the stream. */
    public Head readHead() {
        Instant deadline = Instant.now().plus(timeout);
        int headEnd;
        while ((headEnd = indexOf(buf, start, end, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII))) < 0) {
            if (!fill(deadline)) {
                throw new AssertionError("connection closed before a complete response head; got: "
                        + new String(buf, start, end - start, StandardCharsets.ISO_8859_1));
            }
        }
        String text = new String(buf, start, headEnd - start, StandardCharsets.ISO_8859_1);
        start = headEnd + 4;
        String[] lines = text.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new AssertionError("not an HTTP status line: " + lines[0]);
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.add(Map.entry(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
        }
        return new Head(lines[0], Integer.parseInt(status[1]), headers);
    }

    /** The body of a response, framed as HTTP says (none for HEAD/1xx/204/304; chunked; Content-Length; else EOF). */
    public byte[] readBody(Head head, String method) {
        if (method.equals("HEAD") || head.status() / 100 == 1 || head.status() == 204 || head.status() == 304) {
            return new byte[0];
        }
        if (head.isChunked()) {
            var out = new ByteArrayOutputStream();
            byte[] chunk;
            while ((chunk = readChunk()) != null) {
                out.writeBytes(chunk);
            }
            return out.toByteArray();
        }
        Optional<String> length = head.header("Content-Length");
        if (length.isPresent()) {
            return readExactly(Integer.parseInt(length.get()));
        }
        return readToEof();
    }

    /** The next chunk of a chunked body, or null after the last-chunk and its trailers. */
    public byte[] readChunk() {
        String sizeLine = readLine();
        int semi = sizeLine.indexOf(';');
        int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
        if (size == 0) {
            while (!readLine().isEmpty()) {
                // trailers
            }
            return null;
        }
        byte[] data = readExactly(size);
        String crlf = readLine();
        if (!crlf.isEmpty()) {
            throw new AssertionError("chunk not followed by CRLF: " + crlf);
        }
        return data;
    }

    public String readLine() {
        Instant deadline = Instant.now().plus(timeout);
        int eol;
        while ((eol = indexOf(buf, start, end, new byte[] {'\r', '\n'})) < 0) {
            if (!fill(deadline)) {
                throw new AssertionError("connection closed in the middle of a line");
            }
        }
        String line = new String(buf, start, eol - start, StandardCharsets.ISO_8859_1);
        start = eol + 2;
        return line;
    }

    public byte[] readExactly(int n) {
        Instant deadline = Instant.now().plus(timeout);
        while (end - start < n) {
            if (!fill(deadline)) {
                throw new AssertionError("connection closed after " + (end - start) + " of " + n + " bytes");
            }
        }
        byte[] out = Arrays.copyOfRange(buf, start, start + n);
        start += n;
        return out;
    }

    /** Everything until the peer closes (or half-closes) its side. */
    public byte[] readToEof() {
        Instant deadline = Instant.now().plus(timeout);
        while (fill(deadline)) {
            // keep reading
        }
        byte[] out = Arrays.copyOfRange(buf, start, end);
        start = end;
        return out;
    }

    /** Reads until the bytes received so far (not yet consumed) contain {@code needle}; returns them all. */
    public byte[] readUntilContains(String needle) {
        Instant deadline = Instant.now().plus(timeout);
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        while (indexOf(buf, start, end, n) < 0) {
            if (!fill(deadline)) {
                throw new AssertionError("connection closed before '" + needle + "' arrived; got: "
                        + new String(buf, start, end - start, StandardCharsets.ISO_8859_1));
            }
        }
        byte[] out = Arrays.copyOfRange(buf, start, end);
        start = end;
        return out;
    }

    /** Whatever arrives first: some bytes, or an empty array when the peer closes; fails on the timeout. */
    public byte[] readAny() {
        if (end == start) {
            fill(Instant.now().plus(timeout));
        }
        byte[] out = Arrays.copyOfRange(buf, start, end);
        start = end;
        return out;
    }

    /** True when the peer has closed its side and every byte has been consumed, waiting up to the timeout. */
    public boolean awaitEof() {
        Instant deadline = Instant.now().plus(timeout);
        while (fill(deadline)) {
            // drain
        }
        return true;
    }

    private boolean fill(Instant deadline) {
        if (eof) {
            return false;
        }
        if (start == end) {
            start = end = 0;
        }
        if (end == buf.length) {
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            } else {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
        }
        try {
            while (true) {
                int n = channel.read(ByteBuffer.wrap(buf, end, buf.length - end));
                if (n < 0) {
                    eof = true;
                    return false;
                }
                if (n > 0) {
                    end += n;
                    return true;
                }
                await(SelectionKey.OP_READ, deadline, "reading");
            }
        } catch (IOException e) {
            // ECONNRESET and friends: the peer is gone, which is an end of stream to the reader.
            eof = true;
            return false;
        }
    }

    private void await(int op, Instant deadline, String what) throws IOException {
        long ms = Duration.between(Instant.now(), deadline).toMillis();
        if (ms <= 0) {
            throw new AssertionError("timed out " + what + "; unread so far: "
                    + new String(buf, start, end - start, StandardCharsets.ISO_8859_1));
        }
        key.interestOps(op);
        selector.select(ms);
        selector.selectedKeys().clear();
        key.interestOps(0);
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    // ---------------------------------------------------------------- helpers

    /** stdout and stderr of a multiplexed (Tty=false) docker stream. */
    public record Demuxed(byte[] stdout, byte[] stderr) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        public String err() {
            return new String(stderr, StandardCharsets.UTF_8);
        }
    }

    public static Demuxed demux(byte[] raw) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int i = 0;
        while (i < raw.length) {
            if (raw.length - i < 8) {
                throw new AssertionError("truncated stream frame header at " + i + " of " + raw.length);
            }
            int stream = raw[i];
            if (stream < 0 || stream > 3 || raw[i + 1] != 0 || raw[i + 2] != 0 || raw[i + 3] != 0) {
                throw new AssertionError("not a multiplexed stream frame at " + i + ": "
                        + new String(raw, i, Math.min(40, raw.length - i), StandardCharsets.ISO_8859_1));
            }
            int len = ((raw[i + 4] & 0xff) << 24) | ((raw[i + 5] & 0xff) << 16) | ((raw[i + 6] & 0xff) << 8) | (raw[i + 7] & 0xff);
            if (raw.length - i - 8 < len) {
                throw new AssertionError("truncated stream frame at " + i + ": wants " + len + " bytes");
            }
            (stream == 2 ? err : out).write(raw, i + 8, len);
            i += 8 + len;
        }
        return new Demuxed(out.toByteArray(), err.toByteArray());
    }

    public static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    public static int indexOf(byte[] hay, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
