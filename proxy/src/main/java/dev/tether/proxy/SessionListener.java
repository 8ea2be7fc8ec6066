package dev.tether.proxy;

import dev.tether.labeler.ProcessId;

/** Told when a client's stdin-attached stream to a container ends while the engine side is still open. */
@FunctionalInterface
public interface SessionListener {

    SessionListener NONE = (container, client) -> { };

    /** @param container the container as the client named it: id, id prefix or name */
    void sessionEnded(String container, ProcessId client);
}
