package dev.tether.proxy;

import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.tether.process.Libc;

/**
 * Admits a new connection, or turns it away when its user is not in {@code --allow-uid}: the connection then gets
 * one {@code 403} naming its uid and what to ask for, and is closed. It never reaches the engine.
 */
final class AccessGate {

    private static final Logger log = LoggerFactory.getLogger(AccessGate.class);

    private final AllowedUids allowed;
    private final String where;
    private final Duration headTimeout;
    private final int self = Libc.effectiveUid();
    private final Set<Integer> warned = ConcurrentHashMap.newKeySet();

    /** @param where the socket, for the log */
    AccessGate(AllowedUids allowed, String where, Duration headTimeout) {
        this.allowed = allowed;
        this.where = where;
        this.headTimeout = headTimeout;
    }

    /**
     * @param uid the peer's uid, -1 if unknown
     * @return true if the connection may go on; otherwise its pipeline now answers 403 and closes
     */
    boolean admit(Channel ch, int uid) {
        if (allowed.admits(uid, self)) {
            return true;
        }
        String message = uid < 0
                ? "tether could not tell which user is connecting, and only uids " + allowed.describe(self)
                        + " may use this socket; connect through the unix socket or from this machine's loopback"
                : "uid " + uid + " may not use this socket; allowed: " + allowed.describe(self)
                        + "; ask the owner to add --allow-uid " + uid;
        if (warned.add(uid)) {
            log.warn("refused a connection on {} from {}: not in --allow-uid (allowed: {}); further ones from it are"
                    + " refused without a word", ch instanceof SocketChannel tcp ? TcpListener.uri(tcp.localAddress()) : where, uid < 0 ? "an unidentified user" : "uid " + uid,
                    allowed.describe(self));
        }
        ch.pipeline().addLast(new HttpRequestDecoder(), new Forbidden(LocalResponse.forbidden(message), headTimeout));
        return false;
    }
}
