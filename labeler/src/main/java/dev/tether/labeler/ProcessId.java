package dev.tether.labeler;

/**
 * A process for good: a pid alone is reused, a pid with its start time (clock ticks since boot,
 * field 22 of /proc/PID/stat) is not. Pid 0 means the process could not be identified.
 */
public record ProcessId(long pid, long startTicks, String exe) {

    public static final ProcessId UNKNOWN = new ProcessId(0, 0, "");

    public ProcessId {
        exe = exe == null ? "" : exe;
    }

    public boolean isKnown() {
        return pid > 0;
    }
}
