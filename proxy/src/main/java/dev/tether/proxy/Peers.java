package dev.tether.proxy;

import dev.tether.process.Processes;
import dev.tether.labeler.ProcessId;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is on the other end of a client connection: SO_PEERCRED's pid on the unix socket, the kernel's socket tables
 * over loopback TCP, then /proc at once, before the pid can be reused. Read once per connection.
 */
final class Peers {

    private static final Logger log = LoggerFactory.getLogger(Peers.class);
    private static final AttributeKey<Peer> PEER = AttributeKey.valueOf("tether.peer");

    private final Path socket;
    private final AtomicBoolean warnedPidZero = new AtomicBoolean();
    private final AtomicBoolean warnedRemote = new AtomicBoolean();

    Peers(Path socket) {
        this.socket = socket;
    }

    Peer identify(Channel client) {
        Peer known = client.attr(PEER).get();
        if (known == null) {
            known = switch (client) {
                case EpollDomainSocketChannel domain -> overUnixSocket(domain);
                case SocketChannel tcp when isLoopback(tcp) -> overLoopback(tcp);
                case SocketChannel tcp -> remote(tcp);
                default -> Peer.UNKNOWN;
            };
            client.attr(PEER).set(known);
        }
        return known;
    }

    static boolean isLoopback(SocketChannel tcp) {
        return tcp.remoteAddress() != null && tcp.remoteAddress().getAddress().isLoopbackAddress();
    }

    private Peer overUnixSocket(EpollDomainSocketChannel domain) {
        PeerCredentials credentials;
        try {
            credentials = domain.peerCredentials();
        } catch (IOException e) {
            log.warn("no peer credentials for a client ({}); its containers cannot be tied", e.toString());
            return Peer.UNKNOWN;
        }
        if (credentials.pid() == 0) {
            if (warnedPidZero.compareAndSet(false, true)) {
                log.warn("a client of {} has pid 0: tether runs in another PID namespace than its clients (in a container"
                        + " without --pid=host?), so it cannot see who they are. Their containers are labelled owner.pid=0"
                        + " and are never tied to a process nor reaped. Run tether in the clients' PID namespace"
                        + " (docker run --pid=host …). Said once.", socket);
            }
            return new Peer(ProcessId.UNKNOWN, credentials.uid(), List.of());
        }
        return ofPid(credentials.pid(), credentials.uid());
    }

    private Peer overLoopback(SocketChannel tcp) {
        InetSocketAddress client = tcp.remoteAddress();
        var socket = LoopbackPeers.find(client, tcp.localAddress());
        if (socket.isEmpty()) {
            log.warn("loopback client {} is not in /proc/net/tcp; its containers cannot be tied", client);
            return Peer.UNKNOWN;
        }
        int uid = socket.get().uid();
        OptionalLong pid = LoopbackPeers.pidHolding(socket.get().inode());
        if (pid.isEmpty()) {
            log.warn("no process visible to tether holds loopback client {} (uid {}): another PID namespace, or"
                    + " another user's process and tether is not root; its containers cannot be tied", client, uid);
            return new Peer(ProcessId.UNKNOWN, uid, List.of());
        }
        return ofPid((int) pid.getAsLong(), uid);
    }

    private Peer remote(SocketChannel tcp) {
        if (warnedRemote.compareAndSet(false, true)) {
            log.info("a remote client ({}): no process on this machine to tie its containers to; they are labelled"
                    + " owner.pid=0, tie none, audited and never reaped", tcp.remoteAddress());
        } else {
            log.debug("a remote client ({})", tcp.remoteAddress());
        }
        return Peer.UNKNOWN;
    }

    private static Peer ofPid(int pid, int uid) {
        ProcessId id = Processes.identify(pid);
        if (!id.isKnown()) {
            log.warn("client pid {} is gone or unreadable in /proc; its containers cannot be tied", pid);
            return new Peer(ProcessId.UNKNOWN, uid, List.of());
        }
        return new Peer(id, uid, Processes.commandLine(id.pid()));
    }
}
