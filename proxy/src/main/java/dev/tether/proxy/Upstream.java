package dev.tether.proxy;

import dev.tether.docker.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Dials the real engine: one fresh connection for every client connection, so responses never cross. */
final class Upstream {

    private final Endpoint endpoint;
    private final Class<? extends Channel> type;
    private final SocketAddress address;

    Upstream(Endpoint endpoint) {
        this.endpoint = endpoint;
        switch (endpoint) {
            case Endpoint.Unix unix -> {
                type = EpollDomainSocketChannel.class;
                address = new DomainSocketAddress(unix.socket().toString());
            }
            case Endpoint.Tcp tcp -> {
                type = EpollSocketChannel.class;
                address = InetSocketAddress.createUnresolved(tcp.host(), tcp.port());
            }
        }
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** Connects on the client's own event loop, so both halves of a relay share one thread and need no locks. */
    ChannelFuture connect(Channel client, ChannelHandler handler) {
        return new Bootstrap()
                .group(client.eventLoop())
                .channel(type)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(handler)
                .connect(address);
    }
}
