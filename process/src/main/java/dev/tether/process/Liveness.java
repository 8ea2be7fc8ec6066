package dev.tether.process;

/**
 * Whether a process, pid and start time, still runs. A reaper acts on {@link #DEAD} only: {@link #UNKNOWN}
 * (no pid recorded, or /proc hides the process) means "cannot judge", never "gone".
 */
public enum Liveness {
    ALIVE,
    /** Exited (even if still a zombie), or its pid now names a different process. */
    DEAD,
    UNKNOWN
}
