package dev.tether.proxy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The stdin sessions open through this proxy right now; every change is told to the proxy's listener. */
final class Sessions {

    /** A client's stdin-attached stream to a container, named as the client named it. */
    record Session(String container, Peer client) {}

    private final Map<Object, Session> live = new ConcurrentHashMap<>();
    private final ProxyEvents listener;
    /** Set once tether closes every connection itself, at the end of a drain or at close. */
    private volatile boolean closingAll;

    Sessions(ProxyEvents listener) {
        this.listener = listener;
    }

    /** @return a handle for {@link #closed} */
    Object opened(String container, Peer client) {
        Object handle = new Object();
        live.put(handle, new Session(container, client));
        listener.sessionOpened(container, client);
        return handle;
    }

    void stdinClosed(Object handle) {
        Session session = live.get(handle);
        if (session != null) {
            listener.stdinClosed(session.container(), session.client());
        }
    }

    /** From here on, a session that closes was closed by tether, whichever side's close is seen first. */
    void closingAll() {
        closingAll = true;
    }

    /** @param clientLeft true when the client went away while the engine still streamed: the session ended */
    void closed(Object handle, boolean clientLeft) {
        Session session = live.remove(handle);
        if (session != null) {
            ProxyEvents.SessionEnd end = closingAll ? ProxyEvents.SessionEnd.TETHER
                    : clientLeft ? ProxyEvents.SessionEnd.CLIENT : ProxyEvents.SessionEnd.ENGINE;
            listener.sessionClosed(session.container(), session.client(), end);
        }
    }

    List<Session> live() {
        return List.copyOf(live.values());
    }
}
