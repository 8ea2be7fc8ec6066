package dev.tether.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A byte pipe between tether and the engine that counts how often a string occurs in what tether sends: with
 * {@code /containers/json?} it counts tether's container listings, one per sweep, which tether does not log.
 */
final class ReapSpyUpstream implements AutoCloseable {

    private final ServerSocketChannel server;
    private final Path engine;
    private final byte[] needle;
    private final AtomicInteger hits = new AtomicInteger();
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();

    ReapSpyUpstream(Path socket, Path engine, String needle) {
        this.engine = engine;
        this.needle = needle.getBytes(StandardCharsets.ISO_8859_1);
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().start(this::accept);
    }

    int hits() {
        return hits.get();
    }

    /** Waits until the count reaches {@code target}. */
    void awaitHits(int target, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (hits() < target) {
            if (System.nanoTime() > end) {
                throw new AssertionError("only " + hits() + " of " + target + " occurrences of '"
                        + new String(needle, StandardCharsets.ISO_8859_1) + "' within " + timeout);
            }
            ReapKit.pause(20);
        }
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel client = server.accept();
                SocketChannel upstream = SocketChannel.open(UnixDomainSocketAddress.of(engine));
                open.add(client);
                open.add(upstream);
                Thread.ofVirtual().start(() -> pipe(client, upstream, true));
                Thread.ofVirtual().start(() -> pipe(upstream, client, false));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void pipe(SocketChannel from, SocketChannel to, boolean count) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        byte[] tail = new byte[0]; // the end of the previous read, for a needle split across two reads
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                if (count) {
                    byte[] seen = new byte[tail.length + buf.remaining()];
                    System.arraycopy(tail, 0, seen, 0, tail.length);
                    buf.duplicate().get(seen, tail.length, buf.remaining());
                    hits.addAndGet(occurrences(seen, tail.length));
                    int keep = Math.min(seen.length, needle.length - 1);
                    tail = java.util.Arrays.copyOfRange(seen, seen.length - keep, seen.length);
                }
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Occurrences that end past {@code oldBytes}: those in the carried tail alone were counted already. */
    private int occurrences(byte[] hay, int oldBytes) {
        int n = 0;
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (i + needle.length <= oldBytes) {
                continue;
            }
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            n++;
        }
        return n;
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(ReapSpyUpstream::closeQuietly);
    }
}
