package dev.tether.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Sets up each accepted client connection, on the unix socket or over TCP: it is counted, its peer identified and
 * admitted, and then relayed. The relay's pipeline is {@link RequestRelay}, and behind it {@link CreateRewrite} and
 * {@link HeadTimeout}, which it tells what they need to know through the pipeline.
 */
final class ClientInitializer extends ChannelInitializer<Channel> {

    private final Upstream upstream;
    private final Peers peers;
    private final AccessGate gate;
    private final CreateInterceptor creates;
    private final Sessions sessions;
    private final ProxyEvents events;
    private final Duration headTimeout;
    /** Counts a connection, the client's or the engine connection opened for it, while it is open. */
    private final Consumer<Channel> track;

    ClientInitializer(Upstream upstream, Peers peers, AccessGate gate, CreateInterceptor creates, Sessions sessions,
                      ProxyEvents events, Duration headTimeout, Consumer<Channel> track) {
        this.upstream = upstream;
        this.peers = peers;
        this.gate = gate;
        this.creates = creates;
        this.sessions = sessions;
        this.events = events;
        this.headTimeout = headTimeout;
        this.track = track;
    }

    @Override
    protected void initChannel(Channel ch) {
        track.accept(ch);
        if (ch instanceof SocketChannel tcpClient && Peers.isLoopback(tcpClient)) {
            // finding a loopback peer's process scans /proc: off the event loop, holding what the client sends
            ch.pipeline().addLast(new AwaitPeer(peers::identify, this::admitAndRelay));
        } else {
            admitAndRelay(ch);
        }
    }

    private void admitAndRelay(Channel ch) {
        // a remote client is vouched for by its certificate; a local one is a user, checked by uid
        boolean local = !(ch instanceof SocketChannel tcpClient) || Peers.isLoopback(tcpClient);
        if (!local || gate.admit(ch, peers.identify(ch).uid())) {
            ch.pipeline().addLast(
                    new RequestRelay(upstream, peers, sessions, events, track),
                    new CreateRewrite(creates),
                    new HeadTimeout(headTimeout));
        }
    }
}
