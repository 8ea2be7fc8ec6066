package dev.tether.proxy;

import dev.tether.docker.Endpoint;
import dev.tether.docker.EngineTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dials the real engine: one fresh connection for every client connection, so responses never cross. To a TLS engine
 * the connection counts as made only once the handshake has succeeded: a failed one (a wrong CA, a name the engine's
 * certificate does not hold) fails the connect, so the client gets tether's answer rather than a closed connection, and
 * never a byte goes to the engine in plain text.
 */
final class Upstream {

    private static final Logger log = LoggerFactory.getLogger(Upstream.class);

    private final Endpoint endpoint;
    private final Class<? extends Channel> type;
    private final SocketAddress address;
    private final Optional<Tls> tls;

    private record Tls(EngineTls settings, SSLContext context, String host, int port) {}

    /** The TLS handshake with the engine failed; the message says why and what to check. */
    static final class TlsFailed extends Exception {
        TlsFailed(String message) {
            super(message, null, false, false);
        }
    }

    Upstream(Endpoint endpoint) {
        this.endpoint = endpoint;
        switch (endpoint) {
            case Endpoint.Unix unix -> {
                type = EpollDomainSocketChannel.class;
                address = new DomainSocketAddress(unix.socket().toString());
                tls = Optional.empty();
            }
            case Endpoint.Tcp tcp -> {
                type = EpollSocketChannel.class;
                address = InetSocketAddress.createUnresolved(tcp.host(), tcp.port());
                tls = tcp.tls().map(t -> new Tls(t, t.sslContext(), tcp.host(), tcp.port()));
            }
            case Endpoint.Ssh ssh -> throw new IllegalArgumentException("the relay reaches " + ssh.uri()
                    + " through an SshBridge's socket (the daemon opens one), not directly");
        }
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Connects on the client's own event loop, so both halves of a relay share one thread and need no locks. The
     * future completes when bytes can go: at once for plain connections, after the handshake for TLS.
     */
    ChannelFuture connect(Channel client, ChannelHandler handler) {
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                .channel(type)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
        if (tls.isEmpty()) {
            return bootstrap.handler(handler).connect(address);
        }
        Tls t = tls.get();
        SslHandler ssl = new SslHandler(t.settings().clientEngine(t.context(), t.host(), t.port()));
        bootstrap.handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(ssl, new HandshakeGate(), new CloseNotifyEndsInput(), handler);
            }
        });
        ChannelFuture connected = bootstrap.connect(address);
        ChannelPromise ready = connected.channel().newPromise();
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
                return;
            }
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready.trySuccess();
                } else {
                    connected.channel().close();
                    ready.tryFailure(new TlsFailed("the TLS handshake with the engine at " + endpoint.uri() + " failed ("
                            + rootMessage(h.cause()) + "): check that the engine's certificate is signed by the CA"
                            + " tether trusts and names " + t.host() + " in its subjectAltName (" + t.settings().describe()
                            + ")"));
                }
            });
        });
        return ready;
    }

    /**
     * Keeps a failed handshake's exception and close from the relay behind it: the connect's future reports that one,
     * and the relay has not taken the connection yet. Once the handshake succeeded, it steps aside.
     */
    private static final class HandshakeGate extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    ctx.pipeline().remove(this);
                    ctx.fireUserEventTriggered(evt);
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("TLS handshake with the engine failed: {}", cause.toString());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // the handshake failed: the connect's future says so
        }
    }

    /**
     * dockerd ends a hijacked stream (attach, exec) with Go's {@code tls.Conn.CloseWrite}: a close_notify alert and
     * no FIN, so TCP never says the engine is done. The close_notify is the engine's EOF, as Go's own client reads it:
     * the connection's input is shut down here and the relay told, exactly as when a plain engine half-closes.
     */
    private static final class CloseNotifyEndsInput extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ctx.fireUserEventTriggered(evt);
            if (evt instanceof SslCloseCompletionEvent closed && closed.isSuccess()
                    && ctx.channel() instanceof DuplexChannel d && d.isActive() && !d.isInputShutdown()) {
                d.shutdownInput().addListener(f -> ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE));
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }
}
