package dev.tether.guard;

import dev.tether.labeler.ProcessId;
import dev.tether.process.Libc;
import dev.tether.process.Processes;
import dev.tether.process.Signals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The processes of one guarded server, found three ways, and how they are stopped.
 * <ul>
 *   <li>its cgroup, when the launcher could move the server into one: every process forked below it stays in it,
 *   whatever sessions it starts and however often it double-forks;</li>
 *   <li>the inherited marker {@code TETHER_GUARD=<id>} in /proc/PID/environ, for any process of the guard's user:
 *   setsid and double-forked grandchildren included, unless they cleared their environment;</li>
 *   <li>the server's descendants by parent pid, while they have not been reparented.</li>
 * </ul>
 * Never the host, never tether itself, never pid 1, never a process of another user. Zombies count as gone: they
 * have exited and hold nothing but their exit status.
 */
final class Tree {

    private static final Path PROC = Path.of("/proc");
    private static final Duration POLL = Duration.ofMillis(50);

    private final GuardFile guard;
    private final byte[] marker;
    private final long self = ProcessHandle.current().pid();

    Tree(GuardFile guard) {
        this.guard = guard;
        this.marker = (Guards.MARKER + "=" + guard.id() + "\0").getBytes(StandardCharsets.UTF_8);
    }

    /** One process as /proc shows it now. */
    private record Proc(ProcessId id, long parent, boolean exited, int uid) {}

    /**
     * The members living now. With a cgroup, its list is the tree (nothing leaves a cgroup without the right to write
     * another's cgroup.procs): a few reads. Without, one pass over /proc, reading the environment only of the
     * guard's user's processes that started no earlier than the server, as every member of its tree did.
     */
    List<ProcessId> members() {
        if (guard.cgroup().isPresent()) {
            try {
                List<ProcessId> members = new ArrayList<>();
                for (String line : Files.readAllLines(guard.cgroup().get().resolve("cgroup.procs"))) {
                    long pid = Long.parseLong(line.strip());
                    var stat = Processes.stat(pid);
                    if (stat.isPresent() && !stat.get().exited() && allowed(pid) && uid(PROC.resolve(line.strip())) == guard.uid()) {
                        members.add(new ProcessId(pid, stat.get().startTicks(), ""));
                    }
                }
                return members;
            } catch (IOException | NumberFormatException e) {
                // removed meanwhile, or never made: the scan below still finds the tree
            }
        }
        Map<Long, Proc> all = snapshot(guard.server().startTicks());
        Map<Long, ProcessId> found = new LinkedHashMap<>();
        Map<Long, List<Proc>> children = new HashMap<>();
        for (Proc p : all.values()) {
            children.computeIfAbsent(p.parent(), k -> new ArrayList<>()).add(p);
            if (p.uid() == guard.uid() && marked(p.id().pid())) {
                found.put(p.id().pid(), p.id());
            }
        }
        Proc server = all.get(guard.server().pid());
        if (server != null && server.id().startTicks() == guard.server().startTicks()) {
            List<Proc> queue = new ArrayList<>(List.of(server));
            Set<Long> seen = new HashSet<>();
            while (!queue.isEmpty()) {
                Proc p = queue.removeLast();
                if (seen.add(p.id().pid())) {
                    found.putIfAbsent(p.id().pid(), p.id());
                    queue.addAll(children.getOrDefault(p.id().pid(), List.of()));
                }
            }
        }
        List<ProcessId> members = new ArrayList<>();
        for (ProcessId id : found.values()) {
            Proc p = all.get(id.pid());
            if (p != null && !p.exited() && p.uid() == guard.uid() && allowed(id.pid())) {
                members.add(id);
            }
        }
        return members;
    }

    private boolean allowed(long pid) {
        return pid != self && pid != 1 && pid != guard.host().pid();
    }

    private static int uid(Path dir) {
        try {
            return (Integer) Files.getAttribute(dir, "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * SIGTERM to every member, then up to {@code grace} for them to go, then SIGKILL ({@code cgroup.kill} too) until
     * none is left: members found later (forks during the shutdown) get the same. Returns how many processes it
     * signalled.
     */
    int stop(Duration grace) throws InterruptedException {
        Set<ProcessId> signalled = new HashSet<>();
        long deadline = System.nanoTime() + grace.toNanos();
        List<ProcessId> members = members();
        while (!members.isEmpty() && System.nanoTime() < deadline) {
            for (ProcessId p : members) {
                if (signalled.add(p)) {
                    Signals.send(p, Libc.SIGTERM);
                }
            }
            Thread.sleep(POLL);
            members = members();
        }
        for (int round = 0; !members.isEmpty() && round < 200; round++) {
            if (guard.cgroup().isPresent() && cgroupHoldsOnly(members)) {
                killCgroup(guard.cgroup().get());
            }
            for (ProcessId p : members) {
                signalled.add(p);
                Signals.send(p, Libc.SIGKILL);
            }
            Thread.sleep(10);
            members = members();
        }
        return signalled.size();
    }

    /**
     * cgroup.kill kills whatever is in the cgroup, whoever runs it: used only while it holds nothing but
     * {@code members} (a process that changed its uid stays out of reach of both).
     */
    private boolean cgroupHoldsOnly(List<ProcessId> members) {
        try {
            Set<Long> ours = new HashSet<>();
            members.forEach(p -> ours.add(p.pid()));
            for (String line : Files.readAllLines(guard.cgroup().get().resolve("cgroup.procs"))) {
                long pid = Long.parseLong(line.strip());
                if (!ours.contains(pid) && Processes.stat(pid).map(st -> !st.exited()).orElse(false)) {
                    return false;
                }
            }
            return true;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private static void killCgroup(Path cgroup) {
        try {
            Files.writeString(cgroup.resolve("cgroup.kill"), "1");
        } catch (IOException e) {
            // a kernel before 5.14 has no cgroup.kill; the SIGKILLs by pid do the same, one by one
        }
    }

    private boolean marked(long pid) {
        byte[] env;
        try {
            env = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
        } catch (IOException e) {
            return false;
        }
        outer:
        for (int i = 0; i + marker.length <= env.length; i++) {
            if (i > 0 && env[i - 1] != 0) {
                continue;
            }
            for (int j = 0; j < marker.length; j++) {
                if (env[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return true;
        }
        // The last variable has no terminating NUL of its own in some kernels' view: accept the marker at the end.
        int n = marker.length - 1;
        if (env.length >= n) {
            int start = env.length - n;
            if (start == 0 || env[start - 1] == 0) {
                for (int j = 0; j < n; j++) {
                    if (env[start + j] != marker[j]) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }

    /** The processes that started at {@code since} (clock ticks) or later: a tree's members never started earlier. */
    private static Map<Long, Proc> snapshot(long since) {
        Map<Long, Proc> all = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                long pid = Long.parseLong(name);
                var stat = Processes.stat(pid);
                if (stat.isEmpty() || stat.get().startTicks() < since) {
                    continue;
                }
                int uid = uid(dir);
                if (uid < 0) {
                    continue;
                }
                var s = stat.get();
                all.put(pid, new Proc(new ProcessId(pid, s.startTicks(), ""), s.parent(), s.exited(), uid));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return all;
    }
}
