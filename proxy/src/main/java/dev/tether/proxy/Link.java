package dev.tether.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/**
 * One client connection and the engine connection tether opened for it. Both run on one event loop, so this
 * state needs no locks.
 */
final class Link {

    /**
     * What the relay knows of a request whose response has not ended yet.
     *
     * @param create set for a labelled create: its answer carries the new container's id
     */
    record Expectation(boolean headRequest, boolean mayHijack, CreateInterceptor.PendingCreate create) {

        Expectation(boolean headRequest, boolean mayHijack) {
            this(headRequest, mayHijack, null);
        }
    }

    private static final Duration LINGER = Duration.ofSeconds(2);

    final Channel client;
    Channel upstream;
    final Deque<Expectation> expected = new ArrayDeque<>();
    private LocalResponse lastWord;

    Link(Channel client) {
        this.client = client;
    }

    boolean upstreamReady() {
        return upstream != null && upstream.isActive();
    }

    /**
     * Answers the client from tether itself and ends the connection; waits for the engine's answers to earlier
     * requests first, so responses never interleave.
     */
    void answerAndClose(LocalResponse response) {
        if (lastWord != null) {
            return;
        }
        lastWord = response;
        if (expected.isEmpty() || !upstreamReady()) {
            sayLastWord();
        }
    }

    /** Called by the response side whenever a response ends. */
    void responseEnded() {
        if (lastWord != null && expected.isEmpty()) {
            sayLastWord();
        }
    }

    /** The engine connection is gone: whatever tether still owes the client is said now. */
    void upstreamClosed() {
        if (lastWord != null) {
            sayLastWord();
        } else {
            closeAfterFlush(client);
        }
    }

    private void sayLastWord() {
        if (client.isActive()) {
            client.writeAndFlush(lastWord.encode()).addListener(f -> lingerThenClose(client));
        }
        closeAfterFlush(upstream);
    }

    /**
     * A client may still be writing the request tether refused (a 2 MiB head): closing at once would fail its write
     * before it reads the answer. So tether ends its side, reads and drops what comes for a moment, then closes.
     */
    static void lingerThenClose(Channel client) {
        if (!(client instanceof DuplexChannel d) || !client.isActive() || d.isInputShutdown()) {
            client.close();
            return;
        }
        d.shutdownOutput();
        client.config().setAutoRead(true); // the relay drops what it reads once it has answered
        client.eventLoop().schedule(() -> client.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Once both directions have ended, nothing more can cross: close both. */
    void closeIfBothEnded() {
        if (isInputShutdown(client) && isInputShutdown(upstream)) {
            closeAfterFlush(client);
            closeAfterFlush(upstream);
        }
    }

    void close() {
        closeAfterFlush(client);
        closeAfterFlush(upstream);
    }

    private static boolean isInputShutdown(Channel ch) {
        return ch == null || !ch.isActive() || (ch instanceof DuplexChannel d && d.isInputShutdown());
    }

    static void closeAfterFlush(Channel ch) {
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else if (ch != null) {
            ch.close();
        }
    }

    /** Half-closes {@code ch} after what was written to it has gone out: the far side reads EOF, not a reset. */
    static void shutdownOutputAfterFlush(Channel ch) {
        if (ch instanceof DuplexChannel d && ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> d.shutdownOutput());
        }
    }
}
