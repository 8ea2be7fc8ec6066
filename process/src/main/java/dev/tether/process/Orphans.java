package dev.tether.process;

import dev.tether.labeler.ProcessId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Stdio MCP servers left behind by a dead host, found in /proc: processes of one user that
 * <ol>
 *   <li>were reparented: their parent is init (pid 1) or a known init or subreaper ({@link #REAPERS}), which is
 *   where a process goes when whatever started it died;</li>
 *   <li>read stdin from a pipe whose write end no living process holds outside the candidate's own tree, or from a
 *   unix socket whose peer was closed or is held only inside that tree (node hosts give their servers a socketpair):
 *   the host that wrote to it is gone;</li>
 *   <li>look like an MCP server by their command line ({@link McpCommand}).</li>
 * </ol>
 * A heuristic: a pipe's writer held by a process tether cannot read (another user's, when tether is not root; another
 * PID namespace's) is not seen, and a stdin that is neither a pipe nor a unix socket (a terminal, a file, a FIFO) is
 * never judged.
 */
public final class Orphans {

    private Orphans() {}

    /** Programs that adopt orphans besides pid 1: service managers and the inits of containers. */
    static final Set<String> REAPERS = Set.of("systemd", "init", "tini", "dumb-init", "docker-init", "catatonit",
            "s6-svscan", "runit", "openrc-init");

    /**
     * One process that looks like an orphaned MCP server.
     *
     * @param command     its command line
     * @param why         why it looks orphaned, in words
     * @param descendants its children, their children, and so on, by parent pid when it was found
     */
    public record Orphan(ProcessId process, List<String> command, McpCommand.Match match, String why,
                         List<ProcessId> descendants) {}

    /** What {@link #stop} did to one orphan's tree. */
    public record Stopped(int signalled, int killed, int survivors) {}

    /** One process as /proc showed it during a scan. */
    private record Proc(long pid, long parent, long startTicks, int uid) {
        ProcessId id() {
            return new ProcessId(pid, startTicks, "");
        }
    }

    /** The orphans of the user this process runs as (its effective uid). */
    public static List<Orphan> find() {
        return find(Libc.effectiveUid());
    }

    static List<Orphan> find(int uid) {
        Map<Long, Proc> all = scan();
        Map<Long, List<Long>> children = new HashMap<>();
        all.values().forEach(p -> children.computeIfAbsent(p.parent(), k -> new ArrayList<>()).add(p.pid()));
        Set<Long> mine = ancestorsOfSelf(all);

        // otherEnd: what a living host would hold, "pipe:[N]" (the same pipe, open for writing) or "socket:[PEER]";
        // empty for a socket whose peer the kernel says was closed
        record Candidate(Proc proc, List<String> command, McpCommand.Match match, String parent, String stdin,
                         Optional<String> otherEnd) {}
        List<Candidate> candidates = new ArrayList<>();
        for (Proc p : all.values()) {
            if (p.uid() != uid || p.pid() == 1 || mine.contains(p.pid())) {
                continue;
            }
            Optional<String> parent = adopter(p.parent());
            if (parent.isEmpty()) {
                continue;
            }
            String stdin = link(Path.of("/proc", Long.toString(p.pid()), "fd", "0"));
            if (!stdin.startsWith("pipe:[") && !stdin.startsWith("socket:[")) {
                continue;
            }
            List<String> command = Processes.commandLine(p.pid());
            Optional<McpCommand.Match> match = McpCommand.match(command);
            if (match.isEmpty()) {
                continue;
            }
            Optional<String> otherEnd;
            if (stdin.startsWith("pipe:[")) {
                otherEnd = Optional.of(stdin);
            } else {
                long peer = Libc.unixSocketPeer(Long.parseLong(stdin.substring("socket:[".length(), stdin.length() - 1)));
                if (peer < 0) {
                    continue; // not a connected unix socket, or the kernel cannot say: not judged
                }
                otherEnd = peer == 0 ? Optional.empty() : Optional.of("socket:[" + peer + "]");
            }
            candidates.add(new Candidate(p, command, match.get(), parent.get(), stdin, otherEnd));
        }
        if (candidates.isEmpty()) {
            return List.of();
        }
        Map<String, List<Holder>> holders = holders(all.keySet(),
                candidates.stream().flatMap(c -> c.otherEnd().stream()).toList());
        List<Orphan> found = new ArrayList<>();
        for (Candidate c : candidates) {
            Set<Long> tree = tree(c.proc().pid(), children);
            if (tree.contains(ProcessHandle.current().pid())) {
                continue; // tether's own tree: whatever tether runs under is alive by definition
            }
            boolean pipe = c.stdin().startsWith("pipe:[");
            // a pipe's read ends (the server's own stdin among them) write nothing; either end of a socket writes
            List<Holder> writers = c.otherEnd().stream()
                    .flatMap(end -> holders.getOrDefault(end, List.of()).stream())
                    .filter(h -> !pipe || h.writes()).toList();
            if (writers.stream().anyMatch(w -> !tree.contains(w.pid()))) {
                continue; // someone outside its tree can still write to it: a living host
            }
            if (!pipe && c.otherEnd().isPresent() && writers.isEmpty()) {
                continue; // the peer is open in a process tether cannot see (another user's): maybe a living host
            }
            String end = pipe ? "its write end" : "its peer " + c.otherEnd().orElse("");
            String writerWords = c.otherEnd().isEmpty() ? "its peer was closed"
                    : writers.isEmpty() ? "no process holds " + end
                    : "only its own tree holds " + end + " (pid " + writers.getFirst().pid() + ")";
            List<ProcessId> descendants = tree.stream().filter(pid -> pid != c.proc().pid())
                    .map(all::get).filter(p -> p != null && p.uid() == uid).map(Proc::id).toList(); // never another user's
            String why = c.parent() + "; stdin " + c.stdin() + ": " + writerWords;
            found.add(new Orphan(identified(c.proc()), c.command(), c.match(), why, descendants));
        }
        found.sort(Comparator.comparingLong(o -> o.process().pid()));
        return found;
    }

    /**
     * Stops one orphan's tree: SIGTERM to the orphan and its descendants, up to {@code grace} for them to exit, then
     * SIGKILL to whoever is left. Descendants are looked up again before each round (the tree may have grown, and
     * once the orphan dies its children are reparented away from it). Each signal goes only to the process found, by
     * pid and start time: a pid reused meanwhile is left alone.
     */
    public static Stopped stop(Orphan orphan, Duration grace) {
        // By pid and start time alone: the same process found twice, once with its executable, is one member.
        Set<ProcessId> members = new LinkedHashSet<>();
        members.add(new ProcessId(orphan.process().pid(), orphan.process().startTicks(), ""));
        members.addAll(orphan.descendants());
        int uid = Libc.effectiveUid();
        members.addAll(liveDescendants(members, uid));
        int signalled = 0;
        for (ProcessId p : members) {
            signalled += signal(p, false) ? 1 : 0;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline && members.stream().anyMatch(Processes::isAlive)) {
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
        members.addAll(liveDescendants(members, uid));
        int killed = 0;
        for (ProcessId p : members) {
            killed += signal(p, true) ? 1 : 0;
        }
        // A killed process is gone within milliseconds; a little longer only where the machine is loaded.
        long settle = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < settle && members.stream().anyMatch(Processes::isAlive)) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        int survivors = (int) members.stream().filter(Processes::isAlive).count();
        return new Stopped(signalled, killed, survivors);
    }

    /**
     * Sends SIGTERM or SIGKILL to {@code process} if it is still that process. The handle is taken before the start
     * time is checked: the JDK signals only the process the handle was taken for (it compares start times itself),
     * so a pid reused between the check and the signal is not hit.
     */
    private static boolean signal(ProcessId process, boolean kill) {
        Optional<ProcessHandle> handle = ProcessHandle.of(process.pid());
        if (handle.isEmpty() || !Processes.isAlive(process)) {
            return false;
        }
        return kill ? handle.get().destroyForcibly() : handle.get().destroy();
    }

    /** The living descendants, by parent pid now, of the living {@code members}, of {@code uid} only. */
    private static Set<ProcessId> liveDescendants(Collection<ProcessId> members, int uid) {
        Map<Long, Proc> all = scan();
        Map<Long, List<Long>> children = new HashMap<>();
        all.values().forEach(p -> children.computeIfAbsent(p.parent(), k -> new ArrayList<>()).add(p.pid()));
        Set<ProcessId> found = new LinkedHashSet<>();
        for (ProcessId m : members) {
            Proc now = all.get(m.pid());
            if (now == null || now.startTicks() != m.startTicks()) {
                continue;
            }
            for (long pid : tree(m.pid(), children)) {
                Proc p = all.get(pid);
                if (p != null && p.uid() == uid) {
                    found.add(p.id());
                }
            }
        }
        return found;
    }

    /** {@code root} and every process below it by parent pid. */
    private static Set<Long> tree(long root, Map<Long, List<Long>> children) {
        Set<Long> tree = new LinkedHashSet<>();
        ArrayDeque<Long> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            long pid = todo.poll();
            if (tree.add(pid)) {
                todo.addAll(children.getOrDefault(pid, List.of()));
            }
        }
        return tree;
    }

    /** Why the parent {@code pid} looks like where orphans go, or empty when it looks like a process's own parent. */
    private static Optional<String> adopter(long pid) {
        if (pid == 1) {
            return Optional.of("parent is init (pid 1)");
        }
        List<String> command = Processes.commandLine(pid);
        String program = command.isEmpty() ? comm(pid) : command.getFirst();
        String name = program.substring(program.lastIndexOf('/') + 1);
        return REAPERS.contains(name) ? Optional.of("parent is " + name + " (pid " + pid + "), a subreaper") : Optional.empty();
    }

    /** tether itself and the processes above it: what tether runs under is alive, however it looks. */
    private static Set<Long> ancestorsOfSelf(Map<Long, Proc> all) {
        Set<Long> up = new HashSet<>();
        long pid = ProcessHandle.current().pid();
        while (pid > 0 && up.add(pid)) {
            Proc p = all.get(pid);
            pid = p == null ? 0 : p.parent();
        }
        return up;
    }

    /** An open descriptor of a pipe, and whether it can write. */
    private record Holder(long pid, boolean writes) {}

    /** Who holds each of {@code targets} ("pipe:[INODE]", "socket:[INODE]"), among the processes tether can read. */
    private static Map<String, List<Holder>> holders(Collection<Long> pids, List<String> targets) {
        Set<String> wanted = new HashSet<>(targets);
        Map<String, List<Holder>> held = new HashMap<>();
        for (long pid : pids) {
            Path fds = Path.of("/proc", Long.toString(pid), "fd");
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
                for (Path fd : entries) {
                    String target = link(fd);
                    if (wanted.contains(target)) {
                        Path info = Path.of("/proc", Long.toString(pid), "fdinfo", fd.getFileName().toString());
                        held.computeIfAbsent(target, k -> new ArrayList<>()).add(new Holder(pid, writes(info)));
                    }
                }
            } catch (IOException | UncheckedIOException | SecurityException e) {
                // another user's process (not root), or gone meanwhile: its descriptors cannot be seen
            }
        }
        return held;
    }

    /** Whether the descriptor described by an fdinfo file is open for writing; unreadable counts as writing. */
    private static boolean writes(Path fdinfo) {
        try {
            return writes(Files.readString(fdinfo));
        } catch (IOException | UncheckedIOException e) {
            return true; // unknown: rather keep a server than stop one whose host may still write
        }
    }

    /** The access mode of an fdinfo text's {@code flags:} line (octal): O_WRONLY (1) or O_RDWR (2) write. */
    static boolean writes(String fdinfo) {
        return fdinfo.lines().filter(l -> l.startsWith("flags:")).findFirst()
                .map(l -> (Integer.parseInt(l.substring("flags:".length()).strip(), 8) & 3) != 0)
                .orElse(true);
    }

    private static Map<Long, Proc> scan() {
        Map<Long, Proc> all = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path dir : entries) {
                String name = dir.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                Optional<Processes.Stat> stat = Processes.stat(pid);
                OptionalInt uid = uid(pid);
                if (stat.isPresent() && !stat.get().exited() && uid.isPresent()) {
                    all.put(pid, new Proc(pid, stat.get().parent(), stat.get().startTicks(), uid.getAsInt()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc: " + e.getMessage(), e);
        }
        return all;
    }

    /**
     * The uid a process runs as, when its real and effective uids agree; otherwise unknown, so a setuid process is
     * never taken for its caller's.
     */
    private static OptionalInt uid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).strip().split("\\s+");
                    return ids[0].equals(ids[1]) ? OptionalInt.of(Integer.parseInt(ids[0])) : OptionalInt.empty();
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone meanwhile
        }
        return OptionalInt.empty();
    }

    private static ProcessId identified(Proc p) {
        return new ProcessId(p.pid(), p.startTicks(), Processes.exe(p.pid()));
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    private static String link(Path path) {
        try {
            return Files.readSymbolicLink(path).toString();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return "";
        }
    }
}
