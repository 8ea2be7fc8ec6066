package dev.tether.proxy;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The stdin sessions open through this proxy right now; every change is told to the proxy's listener. */
final class Sessions {

    /**
     * A client's stdin-attached stream to a container, named as the client named it. Equal only to itself: one
     * client may attach to one container twice at once.
     */
    static final class Session {
        private final String container;
        private final Peer client;

        private Session(String container, Peer client) {
            this.container = container;
            this.client = client;
        }

        String container() {
            return container;
        }

        Peer client() {
            return client;
        }
    }

    private final Set<Session> live = ConcurrentHashMap.newKeySet();
    private final ProxyEvents listener;
    /** Set once tether closes every connection itself, at the end of a drain or at close. */
    private volatile boolean closingAll;

    Sessions(ProxyEvents listener) {
        this.listener = listener;
    }

    Session opened(String container, Peer client) {
        Session session = new Session(container, client);
        live.add(session);
        listener.sessionOpened(container, client);
        return session;
    }

    void stdinClosed(Session session) {
        if (live.contains(session)) {
            listener.stdinClosed(session.container(), session.client());
        }
    }

    /** From here on, a session that closes was closed by tether, whichever side's close is seen first. */
    void closingAll() {
        closingAll = true;
    }

    /** @param clientLeft true when the client went away while the engine still streamed: the session ended */
    void closed(Session session, boolean clientLeft) {
        if (live.remove(session)) {
            ProxyEvents.SessionEnd end = closingAll ? ProxyEvents.SessionEnd.TETHER
                    : clientLeft ? ProxyEvents.SessionEnd.CLIENT : ProxyEvents.SessionEnd.ENGINE;
            listener.sessionClosed(session.container(), session.client(), end);
        }
    }

    List<Session> live() {
        return List.copyOf(live);
    }
}
