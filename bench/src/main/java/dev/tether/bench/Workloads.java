package dev.tether.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/** The container workloads of the benchmark: churn, bulk archive streams, exec and attach streams, idle sessions. */
final class Workloads {

    static final String IMAGE = "tether-test/busybox:1";
    private static final Pattern ID = Pattern.compile("\"Id\"\\s*:\\s*\"([0-9a-f]{64})\"");
    private static final long MiB = 1 << 20;

    private Workloads() {}

    static String create(UnixHttp http, String... cmd) throws IOException {
        return createWith(http, "", cmd);
    }

    /** {@code fields} are more create fields, each followed by a comma, e.g. {@code "OpenStdin":true,}. */
    static String createWith(UnixHttp http, String fields, String... cmd) throws IOException {
        String json = "{\"Image\":\"" + IMAGE + "\",\"Cmd\":[" + String.join(",", quoted(cmd)) + "]," + fields
                + "\"Labels\":{\"dev.tether.test\":\"bench\"},\"HostConfig\":{\"NetworkMode\":\"none\"}}";
        return id(http.exchange(UnixHttp.request("POST", "/containers/create", json), new StringBuilder()), "create");
    }

    /** The id a create answered with (201), else a failure naming {@code what}. */
    private static String id(UnixHttp.Response response, String what) {
        Matcher m = ID.matcher(response.body());
        if (response.status() != 201 || !m.find()) {
            throw new IllegalStateException(what + " answered " + response.status() + ": " + response.body());
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

    /** Sends a request without a body; fails unless the status is one of {@code accepted}. */
    static void call(UnixHttp http, String method, String path, int... accepted) throws IOException {
        expect(http.exchange(UnixHttp.request(method, path, "")), method + " " + path, accepted);
    }

    /**
     * Force-removes a container with its anonymous volumes. One that tether reaped or the engine auto-removes
     * ({@code mayBeGone}) answers 404 when gone, 409 while the engine is removing it.
     */
    static void remove(UnixHttp http, String id, boolean mayBeGone) throws IOException {
        String path = "/containers/" + id + "?force=1&v=1";
        if (mayBeGone) {
            call(http, "DELETE", path, 204, 404, 409);
        } else {
            call(http, "DELETE", path, 204);
        }
    }

    private static void expect(int status, String what, int... accepted) {
        for (int ok : accepted) {
            if (status == ok) {
                return;
            }
        }
        throw new IllegalStateException(what + " answered " + status);
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

    /**
     * MiB/s of an exec's stdout ({@code head -c BYTES /dev/zero}), from the start request to the engine closing
     * the upgraded stream. The frames are parsed, so a relay that loses or adds a byte fails here.
     */
    static double execStdout(Path socket, String container, long bytes) throws IOException {
        String exec;
        try (UnixHttp http = new UnixHttp(socket)) {
            String json = "{\"AttachStdout\":true,\"AttachStderr\":false,\"Tty\":false,"
                    + "\"Cmd\":[\"head\",\"-c\",\"" + bytes + "\",\"/dev/zero\"]}";
            exec = id(http.exchange(UnixHttp.request("POST", "/containers/" + container + "/exec", json),
                    new StringBuilder()), "exec create");
        }
        try (UnixHttp http = new UnixHttp(socket)) {
            long start = System.nanoTime();
            int status = http.open(UnixHttp.upgrade("/exec/" + exec + "/start", "{\"Detach\":false,\"Tty\":false}"));
            expect(status, "exec start", 101);
            Frames frames = new Frames();
            ByteBuffer buffer = ByteBuffer.allocateDirect((int) MiB);
            while (http.read(buffer.clear()) >= 0) {
                frames.count(buffer.flip());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (frames.payload != bytes || frames.left != 0 || frames.have != 0) {
                throw new IllegalStateException("exec stdout carried " + frames.payload + " payload bytes, not " + bytes);
            }
            return bytes / (double) MiB / seconds;
        }
    }

    /** Counts the payload of a multiplexed stream: 8-byte headers (stream, 0, 0, 0, big-endian size), then payload. */
    private static final class Frames {
        private final byte[] header = new byte[8];
        private int have;
        private long left;
        private long payload;

        void count(ByteBuffer b) {
            while (b.hasRemaining()) {
                if (left > 0) {
                    int k = (int) Math.min(left, b.remaining());
                    b.position(b.position() + k);
                    left -= k;
                    payload += k;
                    continue;
                }
                header[have++] = b.get();
                if (have == header.length) {
                    if (header[0] < 0 || header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
                        throw new IllegalStateException("not a frame header after " + payload + " payload bytes");
                    }
                    left = (header[4] & 0xffL) << 24 | (header[5] & 0xff) << 16 | (header[6] & 0xff) << 8 | header[7] & 0xff;
                    have = 0;
                }
            }
        }
    }

    /**
     * MiB/s of {@code bytes} written into an attached stdin ({@code cat >/dev/null}), from the first byte to the
     * engine closing the attach once {@code cat} saw EOF and exited. The container is created through the socket
     * measured, so tether ties it to this session as it would {@code docker run -i}.
     */
    static double attachStdin(Path socket, Path reference, long bytes) throws IOException {
        String id;
        try (UnixHttp http = new UnixHttp(socket)) {
            id = createWith(http, "\"OpenStdin\":true,\"StdinOnce\":true,\"AttachStdin\":true,", "sh", "-c", "cat >/dev/null");
        }
        // Through a proxy it may be gone by the time we look: tether reaps a session container when its session
        // ends, and asks the engine to auto-remove it.
        boolean mayBeGone = !socket.equals(reference);
        try {
            double mibs;
            try (UnixHttp attach = new UnixHttp(socket)) {
                int status = attach.open(UnixHttp.upgrade("/containers/" + id + "/attach?stream=1&stdin=1&stdout=1&stderr=1", ""));
                expect(status, "attach", 101);
                try (UnixHttp http = new UnixHttp(socket)) {
                    call(http, "POST", "/containers/" + id + "/start", 204);
                }
                ByteBuffer chunk = ByteBuffer.allocateDirect((int) MiB);
                long start = System.nanoTime();
                for (long left = bytes; left > 0; left -= chunk.limit()) {
                    chunk.clear().limit((int) Math.min(MiB, left));
                    attach.write(chunk);
                }
                attach.shutdownOutput();
                while (attach.read(chunk.clear()) >= 0) {
                    // cat writes nothing; this waits for the engine to close the attach
                }
                mibs = bytes / (double) MiB / ((System.nanoTime() - start) / 1e9);
            }
            try (UnixHttp http = new UnixHttp(reference)) {
                String wait = "/containers/" + id + "/wait";
                if (mayBeGone) {
                    call(http, "POST", wait, 200, 404);
                } else {
                    call(http, "POST", wait, 200);
                }
            }
            return mibs;
        } finally {
            try (UnixHttp http = new UnixHttp(reference)) {
                remove(http, id, mayBeGone);
            }
        }
    }

    /** What idle attach sessions cost: {@code _ping} latency beside them, and the proxy's memory and descriptors. */
    record Idle(Histogram ping, double rssMiB, long fdsBefore, long fdsOpen, long fdsAfter) {}

    /** The memory and descriptors of a process this bench did not start, read from {@code /proc}. */
    record Proc(long pid) {
        double rssMiB() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
            throw new IllegalStateException("no VmRSS for pid " + pid);
        }

        long fds() throws IOException {
            try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                return fds.count();
            }
        }
    }

    private static final int OPENERS = 16;
    // Not longer: tether's own engine client keeps up to 32 idle keep-alive connections after a burst, so the count
    // may stay above the mark for good and the figure reported says so.
    private static final long FD_DEADLINE_NANOS = 10_000_000_000L;

    /**
     * Holds {@code sessions} attach sessions open through {@code socket} on one running {@code cat} (created on
     * the reference socket, so no proxy ties it), measures {@code _ping} meanwhile, and if {@code proc} is given
     * its RSS and descriptors while they are open and once they closed. All figures of {@code proc} are -1 without.
     */
    static Idle idleSessions(Path socket, Path reference, int sessions, Proc proc) throws Exception {
        String id;
        try (UnixHttp http = new UnixHttp(reference)) {
            id = createWith(http, "\"OpenStdin\":true,\"StdinOnce\":false,", "cat");
        }
        List<UnixHttp> open = Collections.synchronizedList(new ArrayList<>());
        try {
            try (UnixHttp http = new UnixHttp(reference)) {
                call(http, "POST", "/containers/" + id + "/start", 204);
            }
            long before = proc == null ? -1 : proc.fds();
            byte[] attach = UnixHttp.upgrade("/containers/" + id + "/attach?stream=1&stdin=1&stdout=1&stderr=1", "");
            try (ExecutorService openers = Executors.newFixedThreadPool(OPENERS)) {
                List<Future<?>> opened = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    int session = i;
                    opened.add(openers.submit(() -> {
                        try {
                            UnixHttp http = new UnixHttp(socket, 4096);
                            open.add(http);
                            expect(http.open(attach), "attach", 101);
                        } catch (Exception e) {
                            throw new IllegalStateException("attach session " + session + " of " + sessions
                                    + " through " + socket + ": " + e.getMessage(), e);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : opened) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        throw e.getCause() instanceof Exception cause ? cause : e;
                    }
                }
            }
            Histogram ping = Bench.latency(socket, UnixHttp.get("/_ping"));
            double rss = proc == null ? -1 : proc.rssMiB();
            long during = proc == null ? -1 : proc.fds();
            closeAll(open);
            long after = proc == null ? -1 : fdsBackTo(proc, before + 10);
            return new Idle(ping, rss, before, during, after);
        } finally {
            closeAll(open);
            try (UnixHttp http = new UnixHttp(reference)) {
                remove(http, id, false);
            }
        }
    }

    private static void closeAll(List<UnixHttp> open) throws IOException {
        synchronized (open) {
            for (UnixHttp http : open) {
                http.close();
            }
            open.clear();
        }
    }

    /** The descriptor count once it is at most {@code limit}, or where it stood at the deadline. */
    private static long fdsBackTo(Proc proc, long limit) throws Exception {
        long deadline = System.nanoTime() + FD_DEADLINE_NANOS;
        long fds;
        while ((fds = proc.fds()) > limit && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (fds > limit) {
            System.err.println("bench: pid " + proc.pid() + " still holds " + fds + " descriptors 10 s after the sessions"
                    + " closed, more than " + limit);
        }
        return fds;
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
