package dev.tether.proxy;

import dev.tether.labeler.CreateDecision;
import dev.tether.labeler.ProcessId;

/**
 * What the proxy tells the rest of tether: the reaper, the journal and the metrics listen. Called on the relay's
 * event-loop threads, so implementations must hand any slow work off.
 */
public interface ProxyEvents {

    ProxyEvents NONE = new ProxyEvents() { };

    /** A container the engine created (201) from a request tether labelled. */
    record Created(String containerId, String name, Peer owner, ProcessId host, CreateDecision.Forward decision) {}

    default void created(Created created) { }

    /** A client's stdin-attached stream to {@code container} (as the client named it) was opened. */
    default void sessionOpened(String container, Peer client) { }

    /** The client closed its side of a session's stdin (EOF), keeping the stream open for output. */
    default void stdinClosed(String container, Peer client) { }

    /** Which side ended a session's connection. */
    enum SessionEnd {
        /** The client went away while the engine still streamed: the session ended. */
        CLIENT,
        /** The engine closed first: the container exited, or the engine went away; that ends no session. */
        ENGINE,
        /** tether closed it, at the end of its own shutdown's drain: that ends no session either. */
        TETHER;

        /** The word in the journal's {@code detach} record. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A session's connection closed; {@code end} says who ended it. */
    default void sessionClosed(String container, Peer client, SessionEnd end) { }

    default void connectionOpened() { }

    default void requestSeen(Route route) { }

    default void upstreamFailed() { }
}
