package dev.tether.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --tcp}: the same relay as the unix socket, on a TCP port. Anyone who can reach the port commands the engine,
 * which is root on this host: so only a loopback address may go without TLS, and with TLS every client must present
 * a certificate signed by {@code --tls-ca}.
 */
final class TcpListener {

    private static final Logger log = LoggerFactory.getLogger(TcpListener.class);

    private final InetSocketAddress address;
    private final Optional<SslContext> tls;

    private TcpListener(InetSocketAddress address, Optional<SslContext> tls) {
        this.address = address;
        this.tls = tls;
    }

    /** Checks the address and reads the TLS files; binds nothing yet, so a refusal leaves nothing behind. */
    static TcpListener prepare(TcpListen listen) throws IOException {
        InetAddress host;
        try {
            host = InetAddress.getByName(listen.host());
        } catch (UnknownHostException e) {
            throw new IOException("--tcp " + listen.host() + ":" + listen.port() + ": no such host");
        }
        if (!host.isLoopbackAddress() && listen.tls().isEmpty()) {
            throw new IOException("refusing --tcp " + listen.host() + ":" + listen.port() + " without TLS: that address"
                    + " is reachable from other machines, and whoever reaches it commands the Docker engine, which is"
                    + " root on this host; give --tls-cert, --tls-key and --tls-ca (clients must then present a"
                    + " certificate signed by that CA), or listen on 127.0.0.1");
        }
        Optional<SslContext> tls = listen.tls().isPresent()
                ? Optional.of(TlsSetup.serverContext(listen.tls().get())) : Optional.empty();
        return new TcpListener(new InetSocketAddress(host, listen.port()), tls);
    }

    /** Binds; each accepted connection gets TLS first if configured, then {@code relay}. */
    Channel bind(EventLoopGroup loops, Consumer<EpollSocketChannel> relay) {
        Channel server = new ServerBootstrap()
                .group(loops)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel ch) {
                        tls.ifPresent(context -> ch.pipeline().addLast(context.newHandler(ch.alloc()),
                                new CloseNotifyEndsInput()));
                        relay.accept(ch);
                    }
                })
                .bind(address)
                .syncUninterruptibly()
                .channel();
        log.info("listening on {} ({})", uri((InetSocketAddress) server.localAddress()),
                tls.isPresent() ? "TLS, client certificates required" : "loopback only, no TLS");
        return server;
    }

    /** {@code tcp://127.0.0.1:2375}, {@code tcp://[::1]:2375}: as a client's DOCKER_HOST names it. */
    static String uri(InetSocketAddress address) {
        String host = NetUtil.toAddressString(address.getAddress());
        return "tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * A TLS client ends its half of the stream with close_notify, not a TCP FIN (Go's {@code CloseWrite}): the relay
     * hears it as the end of the client's input, so the engine reads EOF and output goes on.
     */
    private static final class CloseNotifyEndsInput extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ctx.fireUserEventTriggered(evt == SslCloseCompletionEvent.SUCCESS ? ChannelInputShutdownEvent.INSTANCE : evt);
        }
    }
}
