package dev.tether.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A unix socket that relays every connection to the engine's socket, byte for byte, and can be cut and set up again:
 * {@link #stop()} closes the listener and every connection through it (what a client sees of an engine that went
 * away), {@link #start()} listens on the same path again.
 */
final class SocketRelay implements AutoCloseable {

    private final Path socket;
    private final Path upstream;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocketChannel listener;

    SocketRelay(Path socket, Path upstream) {
        this.socket = socket;
        this.upstream = upstream;
    }

    Endpoint endpoint() {
        return new Endpoint.Unix(socket);
    }

    synchronized void start() {
        try {
            Files.deleteIfExists(socket);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            listener = server;
            Thread.ofVirtual().start(() -> accept(server));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void accept(ServerSocketChannel server) {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                SocketChannel engine = SocketChannel.open(UnixDomainSocketAddress.of(upstream));
                open.add(client);
                open.add(engine);
                Thread.ofVirtual().start(() -> copy(client, engine));
                Thread.ofVirtual().start(() -> copy(engine, client));
            } catch (IOException e) {
                return; // closed by stop()
            }
        }
    }

    private void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Closes the listener and every connection: clients see their streams end and new connections refused. */
    synchronized void stop() {
        ServerSocketChannel server = listener;
        if (server != null) {
            closeQuietly(server);
            listener = null;
        }
        for (SocketChannel c : open) {
            closeQuietly(c);
        }
        open.clear();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connections (client and engine side) open through the relay now. */
    int openConnections() {
        open.removeIf(c -> !c.isOpen());
        return open.size();
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        stop();
    }
}
