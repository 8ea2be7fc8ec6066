package dev.tether.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The container workloads of the benchmark: churn and bulk archive streams. */
final class Workloads {

    static final String IMAGE = "tether-test/busybox:1";
    private static final Pattern ID = Pattern.compile("\"Id\"\\s*:\\s*\"([0-9a-f]{64})\"");
    private static final long MiB = 1 << 20;

    private Workloads() {}

    static String create(UnixHttp http, String... cmd) throws IOException {
        StringBuilder body = new StringBuilder();
        String json = "{\"Image\":\"" + IMAGE + "\",\"Cmd\":[" + String.join(",", quoted(cmd)) + "],"
                + "\"Labels\":{\"dev.tether.test\":\"bench\"},\"HostConfig\":{\"NetworkMode\":\"none\"}}";
        var response = http.exchange(UnixHttp.request("POST", "/containers/create", json), body);
        Matcher m = ID.matcher(response.body());
        if (response.status() != 201 || !m.find()) {
            throw new IllegalStateException("create answered " + response.status() + ": " + response.body());
        }
        return m.group(1);
    }

    private static String[] quoted(String[] cmd) {
        String[] q = new String[cmd.length];
        for (int i = 0; i < cmd.length; i++) {
            q[i] = "\"" + cmd[i] + "\"";
        }
        return q;
    }

    static void call(UnixHttp http, String method, String path, int expected) throws IOException {
        int status = http.exchange(UnixHttp.request(method, path, ""));
        if (status != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + status);
        }
    }

    /** Containers per second: create, start, wait for exit, remove, one after another. */
    static double churn(Path socket, int containers) throws IOException {
        try (UnixHttp http = new UnixHttp(socket)) {
            long start = System.nanoTime();
            for (int i = 0; i < containers; i++) {
                String id = create(http, "true");
                call(http, "POST", "/containers/" + id + "/start", 204);
                call(http, "POST", "/containers/" + id + "/wait", 200);
                call(http, "DELETE", "/containers/" + id + "?v=1", 204);
            }
            return containers / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** MiB/s of {@code PUT /containers/{id}/archive} of one file of {@code bytes} (docker cp in). */
    static double putArchive(Path socket, String container, long bytes) throws IOException {
        try (UnixHttp http = new UnixHttp(socket)) {
            long tarSize = 512 + roundUp(bytes) + 1024;
            long start = System.nanoTime();
            http.write(ByteBuffer.wrap(("PUT /containers/" + container + "/archive?path=/tmp HTTP/1.1\r\nHost: docker\r\n"
                    + "Content-Type: application/x-tar\r\nContent-Length: " + tarSize + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)));
            http.write(ByteBuffer.wrap(tarHeader("big.bin", bytes)));
            ByteBuffer chunk = ByteBuffer.allocateDirect((int) MiB);
            for (long left = roundUp(bytes) + 1024; left > 0; left -= chunk.limit()) {
                chunk.clear().limit((int) Math.min(MiB, left));
                http.write(chunk);
            }
            int status = http.readResponse(null).status();
            if (status != 200) {
                throw new IllegalStateException("PUT archive answered " + status);
            }
            return bytes / (double) MiB / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** MiB/s of {@code GET /containers/{id}/archive} (docker cp out). */
    static double getArchive(Path socket, String container, String path) throws IOException {
        try (UnixHttp http = new UnixHttp(socket)) {
            long start = System.nanoTime();
            var response = http.exchange(UnixHttp.get("/containers/" + container + "/archive?path=" + path), null);
            if (response.status() != 200) {
                throw new IllegalStateException("GET archive answered " + response.status());
            }
            return response.bodyBytes() / (double) MiB / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static long roundUp(long n) {
        return (n + 511) / 512 * 512;
    }

    /** A ustar header for one regular file. */
    static byte[] tarHeader(String name, long size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        put(h, 124, String.format("%011o\0", size));
        put(h, 136, String.format("%011o\0", System.currentTimeMillis() / 1000));
        put(h, 148, "        ");
        h[156] = '0';
        put(h, 257, "ustar\0");
        put(h, 263, "00");
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        return h;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(b, 0, h, at, b.length);
    }
}
