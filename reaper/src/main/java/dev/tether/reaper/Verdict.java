package dev.tether.reaper;

import dev.tether.labeler.ProcessId;

/** What the reaper decides for one tied container. */
public sealed interface Verdict {

    /** Leave it alone: it is not the reaper's to touch, or there is nothing it could watch. */
    record Spare(String why) implements Verdict {}

    /** Leave it, and watch what it is tied to: each death sends it back to the judge. */
    record Watch(String why) implements Verdict {}

    /** Stop and remove it: {@code dead} is the process (or the owner of the session) that ended. */
    record Reap(Reason reason, ProcessId dead) implements Verdict {}
}
