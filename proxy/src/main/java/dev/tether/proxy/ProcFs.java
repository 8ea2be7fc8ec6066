package dev.tether.proxy;

import dev.tether.labeler.ProcessId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Who a process is, read from /proc the moment tether needs it (a pid alone is reused; pid and start time are not). */
final class ProcFs {

    private ProcFs() {}

    /** The two fields of /proc/PID/stat that tether needs. */
    record Stat(long parent, long startTicks) {}

    static Optional<Stat> stat(long pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces and parentheses: fields are counted from its last ')'.
            String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
            return Optional.of(new Stat(Long.parseLong(fields[1]), Long.parseLong(fields[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The process with this pid now, or {@link ProcessId#UNKNOWN} if it is gone or hidden from tether. */
    static ProcessId identify(long pid) {
        return stat(pid).map(s -> new ProcessId(pid, s.startTicks(), exe(pid))).orElse(ProcessId.UNKNOWN);
    }

    /**
     * The parent of {@code child} now, provided {@code child} is still the same process (same start time);
     * otherwise unknown.
     */
    static ProcessId parentOf(ProcessId child) {
        return stat(child.pid())
                .filter(s -> s.startTicks() == child.startTicks())
                .map(s -> identify(s.parent()))
                .orElse(ProcessId.UNKNOWN);
    }

    /** The command line, or empty if it cannot be read (gone, or a kernel thread). */
    static List<String> commandLine(long pid) {
        try {
            String raw = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
            return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    static String exe(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return ""; // another user's process, or a kernel thread: the pid and start time still identify it
        }
    }

    /** Tells boots apart: start times count from boot, so a pid and start time are unique only within one. */
    static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    static ProcessId self() {
        return identify(ProcessHandle.current().pid());
    }
}
