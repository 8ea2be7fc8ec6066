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

    /** The executable's file name ({@code docker} for {@code /usr/bin/docker}); empty when not known. */
    public String exeName() {
        return exe.substring(exe.lastIndexOf('/') + 1);
    }

    /** {@code pid 4242 (docker)}, as logs and messages name a process: {@code an unknown process} for pid 0. */
    public String describe() {
        if (!isKnown()) {
            return "an unknown process";
        }
        return "pid " + pid + " (" + (exe.isEmpty() ? "?" : exeName()) + ")";
    }
}
