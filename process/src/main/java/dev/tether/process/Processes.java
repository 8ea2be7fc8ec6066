package dev.tether.process;

import dev.tether.labeler.Ancestry;
import dev.tether.labeler.ProcessId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Who a process is, read from /proc the moment tether needs it (a pid alone is reused; pid and start time are not). */
public final class Processes {

    private Processes() {}

    /**
     * The fields of /proc/PID/stat that tether needs.
     *
     * @param state   field 3: R, S, D, Z (zombie: exited, not yet reaped by its parent), X, ...
     * @param session field 6: the session id, the pid of the session's leader
     */
    public record Stat(char state, long parent, long session, long startTicks) {

        /** Leads its session: a login shell, a terminal's shell, a {@code setsid} process, a service. */
        public boolean leadsSession(long pid) {
            return session == pid;
        }

        /** Exited: a zombie has only its exit status left for its parent to collect. */
        public boolean exited() {
            return state == 'Z' || state == 'X';
        }
    }

    public static Optional<Stat> stat(long pid) {
        try {
            return Optional.of(readStat(pid));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The process with this pid now, or {@link ProcessId#UNKNOWN} if it is gone or hidden from tether. */
    public static ProcessId identify(long pid) {
        return stat(pid).map(s -> new ProcessId(pid, s.startTicks(), exe(pid))).orElse(ProcessId.UNKNOWN);
    }

    /**
     * The parent of {@code child} now, provided {@code child} is still the same process (same start time);
     * otherwise unknown.
     */
    public static ProcessId parentOf(ProcessId child) {
        return stat(child.pid())
                .filter(s -> s.startTicks() == child.startTicks())
                .map(s -> identify(s.parent()))
                .orElse(ProcessId.UNKNOWN);
    }

    /**
     * The processes above {@code child} now, nearest first: its parent, the parent's parent, and so on up to and
     * including the first that leads its session or is init (pid 1), at most {@link Ancestry#MAX}. That is where
     * whatever launched {@code child} lives: a terminal's shell, an MCP host and the wrappers it started
     * ({@code sh -c}, {@code timeout}, {@code npx}) all sit between {@code child} and its session leader.
     *
     * <p>Empty when {@code child} is no longer that process. The walk stops early where a process cannot be read (gone
     * meanwhile, another PID namespace's parent, pid 0). A child subreaper ({@code PR_SET_CHILD_SUBREAPER}) is no
     * stop: /proc does not show that flag (only {@code prctl} on the process itself reads it), so the chain goes on
     * past it to its session leader.
     */
    public static Ancestry ancestry(ProcessId child) {
        List<ProcessId> chain = new ArrayList<>();
        ProcessId below = child;
        while (chain.size() < Ancestry.MAX) {
            long belowStart = below.startTicks();
            Optional<Stat> belowStat = stat(below.pid()).filter(s -> s.startTicks() == belowStart);
            if (belowStat.isEmpty() || belowStat.get().parent() <= 0) {
                break;
            }
            long pid = belowStat.get().parent();
            Optional<Stat> stat = stat(pid);
            if (stat.isEmpty()) {
                break;
            }
            ProcessId parent = new ProcessId(pid, stat.get().startTicks(), exe(pid));
            chain.add(parent);
            if (pid == 1 || stat.get().leadsSession(pid)) {
                break;
            }
            below = parent;
        }
        return new Ancestry(chain);
    }

    /** The command line, or empty if it cannot be read (gone, a zombie, or a kernel thread). */
    public static List<String> commandLine(long pid) {
        if (pid <= 0) {
            return List.of();
        }
        try {
            String raw = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
            return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    public static String exe(long pid) {
        if (pid <= 0) {
            return "";
        }
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return ""; // another user's process, or a kernel thread: the pid and start time still identify it
        }
    }

    /** Tells boots apart: start times count from boot, so a pid and start time are unique only within one. */
    public static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** This process's PID namespace, as /proc/self/ns/pid names it: pids read here mean something only in it. */
    public static String pidNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    /**
     * When {@code process} started, as a wall-clock time: the boot time plus its start ticks. Empty when the boot
     * time cannot be read or the process was never identified.
     */
    public static Optional<Instant> startedAt(ProcessId process) {
        if (!process.isKnown()) {
            return Optional.empty();
        }
        return bootTime().map(boot -> boot.plusMillis(process.startTicks() * 1000 / Libc.clockTicksPerSecond()));
    }

    /** The {@code btime} line of /proc/stat: when this boot began. */
    private static Optional<Instant> bootTime() {
        try (var lines = Files.lines(Path.of("/proc/stat"))) {
            return lines.filter(line -> line.startsWith("btime "))
                    .map(line -> Instant.ofEpochSecond(Long.parseLong(line.substring("btime ".length()).strip())))
                    .findFirst();
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public static ProcessId self() {
        return identify(ProcessHandle.current().pid());
    }

    /** Runs now as that very process: {@link #liveness} is {@link Liveness#ALIVE}. Not alive includes "cannot judge". */
    public static boolean isAlive(ProcessId process) {
        return liveness(process) == Liveness.ALIVE;
    }

    public static Liveness liveness(ProcessId process) {
        if (process.pid() <= 0) {
            return Liveness.UNKNOWN;
        }
        try {
            Stat stat = readStat(process.pid());
            // A different start time means the pid was reused: the process asked about is gone.
            return stat.startTicks() != process.startTicks() || stat.exited() ? Liveness.DEAD : Liveness.ALIVE;
        } catch (NoSuchFileException e) {
            return Liveness.DEAD;
        } catch (IOException | RuntimeException e) {
            // Reaped while being read (the read fails with ESRCH) or gone since: dead. Still there but unreadable
            // (/proc mounted with hidepid, or a malformed line): no verdict, so nobody's container is stopped on a guess.
            return Files.isDirectory(Path.of("/proc", Long.toString(process.pid()))) ? Liveness.UNKNOWN : Liveness.DEAD;
        }
    }

    private static Stat readStat(long pid) throws IOException {
        if (pid <= 0) {
            throw new NoSuchFileException("/proc/" + pid + "/stat");
        }
        String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) may hold spaces and parentheses: fields are counted from its last ')'.
        String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return new Stat(fields[0].charAt(0), Long.parseLong(fields[1]), Long.parseLong(fields[3]), Long.parseLong(fields[19]));
    }
}
