package dev.tether.proxy;

import dev.tether.process.Processes;
import dev.tether.labeler.CreateLabeler;
import dev.tether.labeler.Instance;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running tether proxy: the substitute Docker socket and its relay to the engine. */
public final class DockerProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DockerProxy.class);

    private final ProxyConfig config;
    private final ProxyEvents events;
    private final Sessions sessions;
    private final String instance;
    private final EventLoopGroup loops;
    private final ChannelGroup channels = new DefaultChannelGroup("tether", GlobalEventExecutor.INSTANCE);
    /** How often a drain looks for connections that have become idle. */
    private static final Duration DRAIN_POLL = Duration.ofMillis(50);
    private final AtomicInteger open = new AtomicInteger();
    private Channel server;
    private Channel tcpServer;
    private ListeningSocket.Claim claim;
    private boolean claimTaken;

    private DockerProxy(ProxyConfig config, ProxyEvents events, String instance) {
        this.config = config;
        this.events = events;
        this.sessions = new Sessions(events);
        this.instance = instance;
        this.loops = new EpollEventLoopGroup();
    }

    /** Binds the socket and starts relaying. */
    public static DockerProxy start(ProxyConfig config) throws IOException {
        return start(config, ProxyEvents.NONE);
    }

    /** Binds the socket and starts relaying; {@code events} hears of creates, sessions and traffic. */
    public static DockerProxy start(ProxyConfig config, ProxyEvents events) throws IOException {
        return start(config, events, () -> {});
    }

    /** What must be in place beside the socket before it serves, made once the socket's directory is checked. */
    @FunctionalInterface
    public interface BesideTheSocket {
        void prepare() throws IOException;
    }

    /**
     * Binds the socket and starts relaying. {@code beside} runs once the socket's directory has passed its checks
     * (made if missing, with the socket's mode and group) and this proxy holds the claim on the path, before the
     * socket serves: nothing of tether's is created next to a socket it refuses or another tether serves.
     */
    public static DockerProxy start(ProxyConfig config, ProxyEvents events, BesideTheSocket beside) throws IOException {
        DockerProxy proxy = new DockerProxy(config, events, Instance.of(Processes.self()).label());
        try {
            proxy.bind(beside);
        } catch (IOException | RuntimeException e) {
            proxy.loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        return proxy;
    }

    private void bind(BesideTheSocket beside) throws IOException {
        Optional<TcpListener> tcp = config.tcp().isPresent()
                ? Optional.of(TcpListener.prepare(config.tcp().get())) : Optional.empty();
        claim = ListeningSocket.claim(config.socket(), config.socketGroup());
        try {
            beside.prepare();
        } catch (IOException | RuntimeException e) {
            claim.close();
            throw e;
        }
        Upstream upstream = new Upstream(config.upstream());
        Peers peers = new Peers(config.socket());
        AccessGate gate = new AccessGate(config.allowedUids(), config.socket().toString(), config.headTimeout());
        CreateInterceptor creates = new CreateInterceptor(
                new CreateLabeler(instance, Processes.bootId(), Processes.pidNamespace(), config.forcedTie(),
                        config.mcpDefaults()));
        ClientInitializer clients = new ClientInitializer(upstream, peers, gate, creates, sessions, events,
                config.headTimeout(), this::track);
        Path hidden = ListeningSocket.privateBindPath(config.socket());
        try {
            server = new ServerBootstrap()
                    .group(loops)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(clients)
                    .bind(new DomainSocketAddress(hidden.toString()))
                    .syncUninterruptibly()
                    .channel();
            ListeningSocket.publish(hidden, config.socket(), config.socketGroup());
            if (tcp.isPresent()) {
                tcpServer = tcp.get().bind(loops, clients::initChannel);
            }
            claim.markServing(); // last: only now may the launcher hand the socket to commands
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(hidden);
            Files.deleteIfExists(hidden.getParent());
            if (server != null) {
                server.close().syncUninterruptibly();
                Files.deleteIfExists(config.socket());
            }
            claim.close();
            throw e;
        }
        log.info("listening on {}, relaying to {}", config.socket(), config.upstream().uri());
    }

    /** The TCP address clients connect to ({@code --tcp}), with the port actually bound. */
    public Optional<InetSocketAddress> tcpAddress() {
        return Optional.ofNullable(tcpServer).map(ch -> (InetSocketAddress) ch.localAddress());
    }

    /** That address as a client's {@code DOCKER_HOST} names it: {@code tcp://127.0.0.1:2375}. */
    public Optional<String> tcpUri() {
        return tcpAddress().map(TcpListener::uri);
    }

    /** Counts a connection, a client's or the engine connection opened for it, while it is open. */
    private void track(Channel ch) {
        channels.add(ch);
        open.incrementAndGet();
        ch.closeFuture().addListener(f -> open.decrementAndGet());
    }

    /**
     * Hands over the lock on the socket's path ({@code <socket>.lock}): {@link #close} then leaves it held, and the
     * caller releases it once whatever else it serves beside the socket (the control socket) is closed too, so that
     * a tether started next finds both paths free.
     */
    public synchronized AutoCloseable takeClaim() {
        claimTaken = true;
        return claim;
    }

    /** The socket clients connect to. */
    public Path socket() {
        return config.socket();
    }

    /** The value of {@code dev.tether.instance} on containers created through this proxy. */
    public String instance() {
        return instance;
    }

    /** The stdin sessions open through this proxy: each a container as its client named it, and the client. */
    public List<Map.Entry<String, Peer>> liveSessions() {
        return sessions.live().stream().map(s -> Map.entry(s.container(), s.client())).toList();
    }

    /** Connections open right now: client connections and the engine connection opened for each. */
    public int openConnections() {
        return open.get();
    }

    /**
     * Stops accepting and removes the socket, closes connections that wait for no answer, and lets requests under
     * way and attach or exec sessions finish for up to {@code grace}; then closes what is left.
     */
    public void drain(Duration grace) {
        if (server == null) {
            close();
            return;
        }
        claim.markNotServing(); // before the socket stops answering: a launcher then waits for a new tether
        server.close().syncUninterruptibly();
        closeTcp();
        deleteSocket();
        long deadline = System.nanoTime() + grace.toNanos();
        if (open.get() > 0) {
            log.info("draining {} open connections for up to {} s", open.get(), grace.toSeconds());
        }
        while (open.get() > 0 && System.nanoTime() < deadline) {
            for (Channel ch : channels) {
                RequestRelay relay = ch.pipeline().get(RequestRelay.class);
                if (relay != null) {
                    ch.eventLoop().execute(relay::closeIfIdle);
                }
            }
            try {
                Thread.sleep(DRAIN_POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        close();
    }

    /** Stops accepting, closes every connection, removes the socket file. */
    @Override
    public void close() {
        if (claim != null) {
            claim.markNotServing();
        }
        closeTcp();
        if (server != null) {
            server.close().syncUninterruptibly();
            sessions.closingAll();
            channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        deleteSocket();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (claim != null && !claimTaken) {
            claim.close(); // last: until now a `tether run` must wait rather than start another tether
        }
        log.info("stopped");
    }

    private void closeTcp() {
        if (tcpServer != null) {
            tcpServer.close().syncUninterruptibly();
        }
    }

    private void deleteSocket() {
        try {
            Files.deleteIfExists(config.socket());
        } catch (IOException e) {
            log.warn("could not remove {}: {}", config.socket(), e.toString());
        }
    }
}
