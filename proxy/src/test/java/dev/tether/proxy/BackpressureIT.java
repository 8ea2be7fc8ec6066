package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backpressure with a real engine and a client that stops reading (or an engine side that stops reading): tether
 * holds no more than a read's worth of bytes per direction, the other side is made to wait, and once the slow side
 * catches up every byte arrives and every connection is released.
 *
 * <p>What is measured, and why the bounds hold: tether relays with autoRead off and reads the next piece only once
 * the last one has been written out to the other socket (Netty's epoll reads at most 64 KiB at a time). So while a
 * side does not read, tether holds at most one such piece per direction: {@link #TETHER_HOLDS_AT_MOST} (1 MiB) is
 * sixteen of them. The bytes in flight sit in the kernel's socket buffers (a few hundred KiB per hop) and in the
 * engine's own buffers (moby's attach pipe blocks its writer at 1 MB); {@link #STALLED_WITHIN} (64 MiB) bounds all of
 * that with room to spare, and is 1/16 of the 1 GiB a tether that buffered would have taken in.
 *
 * <p>tether runs in this JVM (the bytes it holds are this JVM's Netty buffers) and sets no allocator of its own, so
 * its buffers come from Netty's default, {@link PooledByteBufAllocator#DEFAULT}: {@code pinned…Memory()} is what
 * live buffers take from its pool right now; {@code used…Memory()} what the pool has reserved, for the report.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BackpressureIT {

    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;
    private static final long TETHER_HOLDS_AT_MOST = MIB;
    private static final long STALLED_WITHIN = 64 * MIB;
    /** The JVM heap after a full GC may differ for reasons of its own (JIT, class loading): this is far below 1 GiB. */
    private static final long HEAP_GROWTH_AT_MOST = 32 * MIB;
    /** A side counts as stalled once its byte count has not moved for this long. */
    private static final Duration STILL_FOR = Duration.ofSeconds(2);
    private static final Duration STALL_DEADLINE = Duration.ofSeconds(60);
    private static final Duration TRANSFER_DEADLINE = Duration.ofSeconds(180);

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    @BeforeAll
    static void tethersBuffersAreNettysPooledDefault() {
        assertThat(ByteBufAllocator.DEFAULT).as("the allocator tether's channels use").isSameAs(PooledByteBufAllocator.DEFAULT);
    }

    // ---------------------------------------------------------------- engine to client

    @Test
    void aClientThatReadsNothingOfA1GiBExecStreamStallsTheEngineNotTethersMemoryThenGetsEveryByte() throws IOException {
        String container = Engine.runDetached(Engine.name("bp-exec-read"), "sleep", "600");
        Memory before = Memory.now();
        try (Stream stream = Stream.open(tether.socket())) {
            String exec = createExec(container, "head", "-c", Long.toString(GIB), "/dev/zero");
            stream.send(UPGRADE.formatted("/exec/" + exec + "/start", "{\"Detach\":false,\"Tty\":false}".length())
                    + "{\"Detach\":false,\"Tty\":false}");
            // from here on the client reads nothing, as long as the producer still moves
            long producer = awaitProcess(container, "head");
            long written = awaitStill(() -> bytesWritten(producer), "bytes written by the exec's head");
            Memory stalled = Memory.now();
            report("a 1 GiB exec stream nobody reads", before, stalled, "the producer wrote " + mib(written));

            assertThat(written).as("bytes the exec's process got out before it was made to wait").isLessThan(STALLED_WITHIN);
            assertBounded(before, stalled);
            assertThat(tether.proxy().openConnections()).as("the client's connection and tether's to the engine").isEqualTo(2);

            // the client catches up: every byte arrives, in order, framed, and the stream ends
            assertThat(stream.readHead()).startsWith("HTTP/1.1 101 ");
            Demux.Counts counts = stream.drainFrames(TRANSFER_DEADLINE);
            assertThat(counts.stdout()).as("stdout bytes through tether").isEqualTo(GIB);
            assertThat(counts.stderr()).as("stderr bytes").isZero();
        }
        TetherExtension.awaitValue(() -> tether.proxy().openConnections(), 0, "open connections", Duration.ofSeconds(10));
        Memory after = Memory.now();
        assertThat(after.pinned()).as("bytes tether still holds in buffers after the stream ended").isLessThanOrEqualTo(before.pinned()
                + TETHER_HOLDS_AT_MOST);
        Engine.remove(container);
    }

    @Test
    void aClientThatReadsNothingThenHangsUpReleasesBothConnections() throws IOException {
        String container = Engine.runDetached(Engine.name("bp-exec-close"), "sleep", "600");
        Memory before = Memory.now();
        long producer;
        try (Stream stream = Stream.open(tether.socket())) {
            String exec = createExec(container, "head", "-c", Long.toString(GIB), "/dev/zero");
            stream.send(UPGRADE.formatted("/exec/" + exec + "/start", "{\"Detach\":false,\"Tty\":false}".length())
                    + "{\"Detach\":false,\"Tty\":false}");
            producer = awaitProcess(container, "head");
            long written = awaitStill(() -> bytesWritten(producer), "bytes written by the exec's head");
            Memory stalled = Memory.now();
            report("a 1 GiB exec stream nobody reads, then closed", before, stalled, "the producer wrote " + mib(written));
            assertThat(written).isLessThan(STALLED_WITHIN);
            assertBounded(before, stalled);
        }
        // the client is gone: tether closes the engine side too, and holds nothing of the stream
        TetherExtension.awaitValue(() -> tether.proxy().openConnections(), 0, "open connections", Duration.ofSeconds(10));
        assertThat(Memory.now().pinned()).isLessThanOrEqualTo(before.pinned() + TETHER_HOLDS_AT_MOST);
        // and the engine, which saw its connection close, stopped feeding the stream
        awaitGoneProcess(producer, Duration.ofSeconds(60));
        Engine.remove(container);
    }

    /** The same through HTTP framing rather than a hijacked stream: a chunked 1 GiB archive (docker cp out). */
    @Test
    void aClientThatReadsNothingOfA1GiBArchiveHoldsTethersMemoryDownThenGetsEveryByte() throws IOException {
        String container = Engine.runDetached(Engine.name("bp-archive"), "sleep", "600");
        Engine.execDetached(container, "truncate", "-s", Long.toString(GIB), "/tmp/big"); // sparse: no disk used
        awaitFileSize(container, "/tmp/big", GIB);
        Memory before = Memory.now();
        try (Stream stream = Stream.open(tether.socket())) {
            stream.send("GET /containers/" + container + "/archive?path=/tmp/big HTTP/1.1\r\nHost: docker\r\n\r\n");
            // The engine reads a sparse file at memory speed: unread, the whole GiB would be in tether within
            // seconds. So tether's buffers are watched over a window several times that long.
            Duration window = Duration.ofSeconds(10);
            long peak = 0;
            for (long end = System.nanoTime() + window.toNanos(); System.nanoTime() < end; Engine.pause(100)) {
                long pinned = PooledByteBufAllocator.DEFAULT.pinnedDirectMemory()
                        + PooledByteBufAllocator.DEFAULT.pinnedHeapMemory();
                peak = Math.max(peak, pinned);
                assertThat(pinned).as("bytes in tether's buffers %s into an unread 1 GiB archive", window)
                        .isLessThanOrEqualTo(before.pinned() + TETHER_HOLDS_AT_MOST);
            }
            Memory stalled = Memory.now();
            report("a 1 GiB archive nobody reads", before, stalled, "peak of tether's buffers " + mib(peak));
            assertBounded(before, stalled);

            String head = stream.readHead();
            assertThat(head).startsWith("HTTP/1.1 200 ").containsIgnoringCase("Transfer-Encoding: chunked");
            long tar = stream.drainChunks(TRANSFER_DEADLINE);
            assertThat(tar).as("bytes of the tar: a header, 1 GiB, padding, the end blocks").isGreaterThan(GIB)
                    .isLessThan(GIB + 64 * 1024);
        }
        TetherExtension.awaitValue(() -> tether.proxy().openConnections(), 0, "open connections", Duration.ofSeconds(10));
        Engine.remove(container);
    }

    // ---------------------------------------------------------------- client to engine

    @Test
    void aFastUploadToAContainerThatDoesNotReadYetPausesTheClientNotTethersMemory() throws IOException {
        long upload = 256 * MIB;
        ObjectNode spec = Engine.containerSpec("sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; wc -c");
        spec.put("OpenStdin", true).put("StdinOnce", true).put("AttachStdin", true).put("AttachStdout", true)
                .put("AttachStderr", true).put("Tty", false);
        String container = Engine.create(Engine.name("bp-upload"), spec);
        Memory before = Memory.now();
        try (Stream stream = Stream.open(tether.socket())) {
            stream.send(UPGRADE.formatted("/containers/" + container + "/attach?stream=1&stdin=1&stdout=1&stderr=1", 0));
            assertThat(stream.readHead()).startsWith("HTTP/1.1 101 ");
            Engine.start(container);

            // the container sleeps and reads nothing: the client writes as fast as the sockets take it
            long accepted = stream.writeUntilStill(upload);
            Memory stalled = Memory.now();
            report("a 256 MiB upload nobody reads yet", before, stalled, "the client got " + mib(accepted) + " out");
            assertThat(accepted).as("bytes the client could write before it was made to wait").isLessThan(STALLED_WITHIN);
            assertBounded(before, stalled);

            // the container starts reading: every byte of the upload arrives, and its end too
            Engine.execDetached(container, "touch", "/tmp/go");
            stream.writeAll(upload - accepted, TRANSFER_DEADLINE);
            stream.shutdownOutput();
            String counted = stream.drainFramesAsText(TRANSFER_DEADLINE).strip();
            assertThat(counted).as("what `wc -c` in the container read").isEqualTo(Long.toString(upload));
        }
        TetherExtension.awaitValue(() -> tether.proxy().openConnections(), 0, "open connections", Duration.ofSeconds(10));
        Engine.remove(container);
    }

    // ---------------------------------------------------------------- measuring

    private static final String UPGRADE = "POST %s HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            + "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n";

    /** What this JVM, tether included, holds: Netty's pooled buffers and the heap after a full GC. */
    record Memory(long pinned, long pooled, long heapAfterGc) {
        static Memory now() {
            PooledByteBufAllocator pool = PooledByteBufAllocator.DEFAULT;
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return new Memory(pool.pinnedDirectMemory() + pool.pinnedHeapMemory(),
                    pool.metric().usedDirectMemory() + pool.metric().usedHeapMemory(), heap);
        }
    }

    private static void assertBounded(Memory before, Memory stalled) {
        assertThat(stalled.pinned()).as("bytes in tether's buffers while a side does not read (%s before)",
                mib(before.pinned())).isLessThanOrEqualTo(before.pinned() + TETHER_HOLDS_AT_MOST);
        assertThat(stalled.heapAfterGc()).as("heap after GC while a side does not read (%s before)",
                mib(before.heapAfterGc())).isLessThanOrEqualTo(before.heapAfterGc() + HEAP_GROWTH_AT_MOST);
    }

    private static void report(String what, Memory before, Memory stalled, String moved) {
        System.out.printf("[backpressure] %s: %s; tether's buffers in use %s (before %s), pool reserved %s (before %s),"
                        + " heap after GC %s (before %s)%n", what, moved, mib(stalled.pinned()), mib(before.pinned()),
                mib(stalled.pooled()), mib(before.pooled()), mib(stalled.heapAfterGc()), mib(before.heapAfterGc()));
    }

    private static String mib(long bytes) {
        return String.format("%.2f MiB", bytes / (double) MIB);
    }

    /** Polls {@code counter} until it has not moved for {@link #STILL_FOR}; returns where it stopped. */
    private static long awaitStill(LongSupplier counter, String what) {
        long deadline = System.nanoTime() + STALL_DEADLINE.toNanos();
        long last = counter.getAsLong();
        long since = System.nanoTime();
        while (System.nanoTime() - since < STILL_FOR.toNanos()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " still grew after " + STALL_DEADLINE + ": " + mib(last));
            }
            Engine.pause(100);
            long now = counter.getAsLong();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            }
        }
        return last;
    }

    private static String createExec(String container, String... cmd) {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("AttachStdout", true).put("AttachStderr", true);
        var array = body.putArray("Cmd");
        for (String c : cmd) {
            array.add(c);
        }
        RawHttp.Response r = Engine.call(RawHttp.request("POST", "/containers/" + container + "/exec").json(body.toString()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().path("Id").asText();
    }

    /** Polls the engine's stat of a file in a container (HEAD archive) until it has {@code size} bytes. */
    private static void awaitFileSize(String container, String path, long size) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String stat = "";
        while (System.nanoTime() < deadline) {
            RawHttp.Response r = Engine.call("HEAD", "/containers/" + container + "/archive?path=" + path);
            stat = r.head().header("X-Docker-Container-Path-Stat")
                    .map(b -> new String(Base64.getDecoder().decode(b), StandardCharsets.UTF_8)).orElse("");
            if (r.status() == 200 && stat.contains("\"size\":" + size + ",")) {
                return;
            }
            Engine.pause();
        }
        throw new AssertionError(path + " in " + container + " never had " + size + " bytes: " + stat);
    }

    /** The host pid of the process named {@code comm} in the container (found by its cgroup, which names the id). */
    private static long awaitProcess(String container, String comm) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            OptionalLong pid = processIn(container, comm);
            if (pid.isPresent()) {
                return pid.getAsLong();
            }
            Engine.pause();
        }
        throw new AssertionError("no process " + comm + " in container " + container + " within 30 s");
    }

    private static OptionalLong processIn(String container, String comm) {
        try (java.util.stream.Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    if (Files.readString(p.resolve("comm")).strip().equals(comm)
                            && Files.readString(p.resolve("cgroup")).contains(container)) {
                        return OptionalLong.of(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return OptionalLong.empty();
    }

    private static void awaitGoneProcess(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Files.exists(Path.of("/proc", Long.toString(pid)))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the exec's process " + pid + " still runs " + timeout
                        + " after its client hung up; it wrote " + mib(bytesWritten(pid)));
            }
            Engine.pause();
        }
    }

    /** {@code wchar} of /proc/PID/io: the bytes the process has written, to its stdout here. */
    private static long bytesWritten(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
                if (line.startsWith("wchar:")) {
                    return Long.parseLong(line.substring(6).strip());
                }
            }
            throw new AssertionError("no wchar in /proc/" + pid + "/io");
        } catch (IOException e) {
            throw new AssertionError("process " + pid + " has ended: it wrote all its output although nobody read it",
                    e);
        }
    }

    // ---------------------------------------------------------------- the raw client

    /** A non-blocking unix socket client that writes and reads only when told, with a deadline on each wait. */
    private static final class Stream implements AutoCloseable {
        private final SocketChannel channel;
        private final Selector selector;
        private final SelectionKey key;
        private final ByteBuffer in = ByteBuffer.allocateDirect((int) MIB).flip();
        private final ByteBuffer zeros = ByteBuffer.allocateDirect((int) MIB);

        private Stream(SocketChannel channel) throws IOException {
            this.channel = channel;
            channel.configureBlocking(false);
            selector = Selector.open();
            key = channel.register(selector, 0);
        }

        static Stream open(Path socket) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new Stream(ch);
        }

        void send(String request) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (b.hasRemaining()) {
                if (channel.write(b) == 0) {
                    await(SelectionKey.OP_WRITE, deadline, "sending a request");
                }
            }
        }

        /** Writes zeros as fast as the socket takes them until {@code limit} or until no write has gone for a while. */
        long writeUntilStill(long limit) throws IOException {
            long written = 0;
            long lastProgress = System.nanoTime();
            long deadline = System.nanoTime() + STALL_DEADLINE.toNanos();
            while (written < limit && System.nanoTime() - lastProgress < STILL_FOR.toNanos()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the upload still moved after " + STALL_DEADLINE + ": " + mib(written));
                }
                int n = channel.write(zeros(limit - written));
                if (n > 0) {
                    written += n;
                    lastProgress = System.nanoTime();
                } else {
                    key.interestOps(SelectionKey.OP_WRITE);
                    selector.select(100);
                    selector.selectedKeys().clear();
                    key.interestOps(0);
                }
            }
            return written;
        }

        void writeAll(long bytes, Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            long left = bytes;
            while (left > 0) {
                int n = channel.write(zeros(left));
                if (n == 0) {
                    await(SelectionKey.OP_WRITE, deadline, "writing with " + mib(left) + " left");
                }
                left -= n;
            }
        }

        private ByteBuffer zeros(long atMost) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), atMost));
            return zeros;
        }

        void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        String readHead() throws IOException {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                if (!in.hasRemaining() && !fill(deadline)) {
                    throw new AssertionError("the connection closed in the response head: " + head);
                }
                head.append((char) (in.get() & 0xff));
            }
            return head.toString();
        }

        /** Reads multiplexed frames to the end of the stream; counts the payload of each kind. */
        Demux.Counts drainFrames(Duration timeout) throws IOException {
            Demux demux = new Demux(null);
            long deadline = System.nanoTime() + timeout.toNanos();
            do {
                demux.accept(in);
            } while (fill(deadline));
            return demux.finish();
        }

        /** Reads a chunked body to its last chunk, counting the bytes of its chunks' data. */
        long drainChunks(Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            long total = 0;
            while (true) {
                String size = readLine(deadline);
                long n = Long.parseLong(size.split(";")[0].strip(), 16);
                if (n == 0) {
                    while (!readLine(deadline).isEmpty()) {
                        // trailers
                    }
                    return total;
                }
                for (long left = n; left > 0; ) {
                    if (!in.hasRemaining() && !fill(deadline)) {
                        throw new AssertionError("the connection closed inside a chunk after " + mib(total));
                    }
                    int k = (int) Math.min(left, in.remaining());
                    in.position(in.position() + k);
                    left -= k;
                }
                total += n;
                if (!readLine(deadline).isEmpty()) {
                    throw new AssertionError("a chunk not followed by CRLF after " + mib(total));
                }
            }
        }

        private String readLine(long deadline) throws IOException {
            StringBuilder line = new StringBuilder();
            while (line.length() < 2 || line.charAt(line.length() - 2) != '\r' || line.charAt(line.length() - 1) != '\n') {
                if (!in.hasRemaining() && !fill(deadline)) {
                    throw new AssertionError("the connection closed in a line: " + line);
                }
                line.append((char) (in.get() & 0xff));
            }
            return line.substring(0, line.length() - 2);
        }

        /** Reads multiplexed frames to the end of the stream; returns stdout as text (for short outputs). */
        String drainFramesAsText(Duration timeout) throws IOException {
            StringBuilder out = new StringBuilder();
            Demux demux = new Demux(out);
            long deadline = System.nanoTime() + timeout.toNanos();
            do {
                demux.accept(in);
            } while (fill(deadline));
            demux.finish();
            return out.toString();
        }

        /** @return false at the end of the stream */
        private boolean fill(long deadline) throws IOException {
            in.compact();
            try {
                while (true) {
                    int n = channel.read(in);
                    if (n < 0) {
                        return false;
                    }
                    if (n > 0) {
                        return true;
                    }
                    await(SelectionKey.OP_READ, deadline, "reading");
                }
            } finally {
                in.flip();
            }
        }

        private void await(int op, long deadline, String what) throws IOException {
            long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (ms <= 0) {
                throw new AssertionError("timed out " + what);
            }
            key.interestOps(op);
            selector.select(ms);
            selector.selectedKeys().clear();
            key.interestOps(0);
        }

        @Override
        public void close() throws IOException {
            selector.close();
            channel.close();
        }
    }

    /** Docker's multiplexed stream (Tty=false), parsed as it comes: an 8-byte header, then that many bytes. */
    private static final class Demux {
        record Counts(long stdout, long stderr) {}

        private final StringBuilder text;
        private final byte[] header = new byte[8];
        private int headerFill;
        private long remaining;
        private int kind;
        private long stdout;
        private long stderr;

        Demux(StringBuilder text) {
            this.text = text;
        }

        void accept(ByteBuffer in) {
            while (in.hasRemaining()) {
                if (remaining == 0) {
                    header[headerFill++] = in.get();
                    if (headerFill == 8) {
                        headerFill = 0;
                        kind = header[0];
                        if (kind < 0 || kind > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
                            throw new AssertionError("not a stream frame header after " + (stdout + stderr) + " bytes");
                        }
                        remaining = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                                | (header[7] & 0xff);
                    }
                    continue;
                }
                int n = (int) Math.min(remaining, in.remaining());
                if (text != null && kind == 1) {
                    byte[] b = new byte[n];
                    in.get(b);
                    text.append(new String(b, StandardCharsets.UTF_8));
                } else {
                    in.position(in.position() + n);
                }
                remaining -= n;
                if (kind == 2) {
                    stderr += n;
                } else {
                    stdout += n;
                }
            }
        }

        Counts finish() {
            if (headerFill != 0 || remaining != 0) {
                throw new AssertionError("the stream ended inside a frame after " + (stdout + stderr) + " bytes");
            }
            return new Counts(stdout, stderr);
        }
    }
}
