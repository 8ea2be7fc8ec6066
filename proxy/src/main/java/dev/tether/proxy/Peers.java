package dev.tether.proxy;

import dev.tether.reaper.Processes;
import dev.tether.labeler.ProcessId;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Who is on the other end of a client connection: SO_PEERCRED's pid, then /proc at once, before it can be reused. */
final class Peers {

    private static final Logger log = LoggerFactory.getLogger(Peers.class);

    private final java.nio.file.Path socket;
    private final AtomicBoolean warnedPidZero = new AtomicBoolean();

    Peers(java.nio.file.Path socket) {
        this.socket = socket;
    }

    Peer identify(Channel client) {
        if (!(client instanceof EpollDomainSocketChannel domain)) {
            return Peer.UNKNOWN;
        }
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
        ProcessId id = Processes.identify(credentials.pid());
        if (!id.isKnown()) {
            log.warn("client pid {} is gone or unreadable in /proc; its containers cannot be tied", credentials.pid());
            return new Peer(ProcessId.UNKNOWN, credentials.uid(), List.of());
        }
        return new Peer(id, credentials.uid(), Processes.commandLine(id.pid()));
    }
}
