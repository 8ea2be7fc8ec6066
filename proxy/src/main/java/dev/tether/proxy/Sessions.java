package dev.tether.proxy;

import dev.tether.labeler.ProcessId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The stdin sessions open through this proxy right now, and the listener told when one ends. */
final class Sessions {

    /** A client's stdin-attached stream to a container, named as the client named it. */
    record Session(String container, ProcessId client) {}

    private final Map<Object, Session> live = new ConcurrentHashMap<>();
    private final SessionListener listener;

    Sessions(SessionListener listener) {
        this.listener = listener;
    }

    /** @return a handle for {@link #closed} */
    Object opened(String container, ProcessId client) {
        Object handle = new Object();
        live.put(handle, new Session(container, client));
        return handle;
    }

    /** @param clientLeft true when the client went away while the engine still streamed: the session ended */
    void closed(Object handle, boolean clientLeft) {
        Session session = live.remove(handle);
        if (session != null && clientLeft) {
            listener.sessionEnded(session.container(), session.client());
        }
    }

    List<Session> live() {
        return List.copyOf(live.values());
    }
}
