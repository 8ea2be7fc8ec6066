package dev.tether.reaper;

import dev.tether.docker.EngineEvent;
import dev.tether.labeler.ProcessId;

/** Told what the reaper sees and does: the journal, the metrics and the status page listen. */
public interface ReapListener {

    ReapListener NONE = new ReapListener() { };

    /** A tied container's owner, host or session ended; the reap starts now. */
    default void deathNoticed(TiedContainer container, Reason reason, ProcessId dead) { }

    /** A reap finished (only reaps that stopped or removed something). */
    default void reaped(Reaped reaped) { }

    /** An engine event about a container that carries tether's labels. */
    default void engineEvent(EngineEvent event) { }
}
