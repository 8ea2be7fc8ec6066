package dev.tether.reaper;

import dev.tether.labeler.ProcessId;

/** What the reaper decides for one tied container. */
public sealed interface Verdict {

    /** Leave it: what it is tied to lives, or it is not the reaper's to touch. */
    record Spare(String why) implements Verdict {}

    /** Stop and remove it: {@code dead} is the process (or the owner of the session) that ended. */
    record Reap(Reason reason, ProcessId dead) implements Verdict {}
}
