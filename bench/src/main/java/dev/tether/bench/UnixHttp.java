package dev.tether.bench;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One keep-alive HTTP/1.1 connection over a unix socket, blocking, reading each response to its end
 * (Content-Length or chunked), or after a response head the raw stream (an upgraded attach or exec, a
 * followed event stream). Small on purpose: a benchmark client must cost less than what it measures.
 */
final class UnixHttp implements AutoCloseable {

    private final SocketChannel channel;
    private final ByteBuffer in;

    UnixHttp(Path socket) throws IOException {
        this(socket, 1 << 20);
    }

    /** A small {@code buffer} for connections that only hold a session open, hundreds at a time. */
    UnixHttp(Path socket, int buffer) throws IOException {
        channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        in = ByteBuffer.allocate(buffer).flip();
    }

    static byte[] get(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: docker\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] request(String method, String path, String json) {
        return message(method + " " + path + " HTTP/1.1\r\nHost: docker\r\n", json);
    }

    /** A request that hijacks the connection, as the docker CLI sends for attach and exec start. */
    static byte[] upgrade(String path, String json) {
        return message("POST " + path + " HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n", json);
    }

    private static byte[] message(String start, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = (start + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** Sends {@code request} and reads the whole response; returns its status. */
    int exchange(byte[] request) throws IOException {
        return exchange(request, null).status();
    }

    /** A response: its status, and its body when it was asked for (small JSON answers). */
    record Response(int status, String body, long bodyBytes) {}

    /** Sends {@code request}, then reads the response, keeping its body if {@code keep} is not null. */
    Response exchange(byte[] request, StringBuilder keep) throws IOException {
        write(ByteBuffer.wrap(request));
        return readResponse(keep);
    }

    void write(ByteBuffer out) throws IOException {
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /**
     * Sends {@code request} and reads only the response head; returns its status. What follows (a raw stream
     * after 101, a streamed body) is read with {@link #read} or {@link #nextChunk}.
     */
    int open(byte[] request) throws IOException {
        write(ByteBuffer.wrap(request));
        return Integer.parseInt(readHead().substring(9, 12));
    }

    /** Reads what the head left buffered first, then straight from the socket; -1 at EOF. */
    int read(ByteBuffer dst) throws IOException {
        if (!in.hasRemaining()) {
            return channel.read(dst);
        }
        int k = Math.min(in.remaining(), dst.remaining());
        dst.put(dst.position(), in, in.position(), k).position(dst.position() + k);
        in.position(in.position() + k);
        return k;
    }

    /** The next chunk of a chunked body as text, or null at its last chunk. */
    String nextChunk() throws IOException {
        long size = Long.parseLong(readLine().split(";")[0].strip(), 16);
        if (size == 0) {
            readLine();
            return null;
        }
        keep = new StringBuilder();
        skip(size);
        readLine();
        String chunk = keep.toString();
        keep = null;
        return chunk;
    }

    /** Half-close: the peer reads EOF (an attached stdin ends) while the other direction still flows. */
    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    Response readResponse(StringBuilder keep) throws IOException {
        this.keep = keep;
        bodyBytes = 0;
        String head = readHead();
        int status = Integer.parseInt(head.substring(9, 12));
        String lower = head.toLowerCase();
        int cl = lower.indexOf("\ncontent-length:");
        if (cl >= 0) {
            int end = lower.indexOf('\n', cl + 1);
            skip(Long.parseLong(lower.substring(cl + 16, end).strip()));
        } else if (lower.contains("\ntransfer-encoding: chunked")) {
            while (true) {
                long size = Long.parseLong(readLine().split(";")[0].strip(), 16);
                if (size == 0) {
                    readLine();
                    break;
                }
                skip(size);
                readLine();
            }
        }
        String body = keep == null ? "" : keep.toString();
        this.keep = null;
        return new Response(status, body, bodyBytes);
    }

    private StringBuilder keep;
    private long bodyBytes;

    private String readHead() throws IOException {
        StringBuilder head = new StringBuilder();
        String line;
        while (!(line = readLine()).isEmpty()) {
            head.append(line).append('\n');
        }
        return head.toString();
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            if (!in.hasRemaining()) {
                fill();
            }
            char c = (char) (in.get() & 0xff);
            if (c == '\n') {
                int n = line.length();
                return n > 0 && line.charAt(n - 1) == '\r' ? line.substring(0, n - 1) : line.toString();
            }
            line.append(c);
        }
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            if (!in.hasRemaining()) {
                fill();
            }
            int k = (int) Math.min(n, in.remaining());
            if (keep != null) {
                keep.append(new String(in.array(), in.position(), k, StandardCharsets.UTF_8));
            }
            in.position(in.position() + k);
            bodyBytes += k;
            n -= k;
        }
    }

    private void fill() throws IOException {
        in.clear();
        if (channel.read(in) < 0) {
            throw new IOException("connection closed mid-response");
        }
        in.flip();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
