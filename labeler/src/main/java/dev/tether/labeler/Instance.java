package dev.tether.labeler;

import java.util.Optional;

/**
 * A tether process as the {@code dev.tether.instance} label names it, {@code PID-START}: its pid and start time, so
 * whether that very tether still runs can be read, and a container whose tether lives is left to it.
 */
public record Instance(long pid, long startTicks) {

    public static Instance of(ProcessId tether) {
        return new Instance(tether.pid(), tether.startTicks());
    }

    /** The label's value read back; empty when it is not {@code PID-START} (another tool's, or hand-written). */
    public static Optional<Instance> parse(String label) {
        int dash = label.indexOf('-');
        try {
            return Optional.of(new Instance(Long.parseLong(label.substring(0, dash)), Long.parseLong(label.substring(dash + 1))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The label's value. */
    public String label() {
        return pid + "-" + startTicks;
    }

    /** The process, to ask whether it lives. */
    public ProcessId process() {
        return new ProcessId(pid, startTicks, "");
    }
}
