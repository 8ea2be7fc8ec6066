package dev.tether.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** How tether ends either connection of a relay without losing a byte written to it. */
final class Link {

    private static final Duration LINGER = Duration.ofSeconds(2);

    private Link() {
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

    static boolean isInputShutdown(Channel ch) {
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
