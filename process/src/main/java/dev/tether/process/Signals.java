package dev.tether.process;

import dev.tether.labeler.ProcessId;

/** Signals a process by pid and start time, through a pidfd: a pid reused meanwhile is never hit. */
public final class Signals {

    private Signals() {}

    /** What {@link #send} did. */
    public enum Outcome { SENT, GONE, REFUSED }

    /**
     * Sends {@code signal} to {@code process} if it is still that process (same start time). GONE if it has exited
     * or its pid names another process now; REFUSED if the kernel says no (another user's process).
     */
    public static Outcome send(ProcessId process, int signal) {
        if (!process.isKnown()) {
            return Outcome.GONE;
        }
        int pidfd = Libc.pidfdOpen(process.pid());
        if (pidfd < 0) {
            return pidfd == -Libc.ESRCH ? Outcome.GONE : Outcome.REFUSED;
        }
        try {
            // Checked after the open, as PidfdWatcher does: the pidfd now pins whoever has the pid, so a matching
            // start time means it pins ours.
            if (Processes.liveness(process) == Liveness.DEAD) {
                return Outcome.GONE;
            }
            int rc = Libc.pidfdSendSignal(pidfd, signal);
            return rc == 0 ? Outcome.SENT : rc == -Libc.ESRCH ? Outcome.GONE : Outcome.REFUSED;
        } finally {
            Libc.close(pidfd);
        }
    }
}
