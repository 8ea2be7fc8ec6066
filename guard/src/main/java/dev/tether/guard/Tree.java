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

    /** The members living now. */
    List<ProcessId> members() {
        Map<Long, Proc> all = snapshot();
        Map<Long, ProcessId> found = new LinkedHashMap<>();
        guard.cgroup().ifPresent(cgroup -> {
            try {
                for (String line : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
                    Proc p = all.get(Long.parseLong(line.strip()));
                    if (p != null) {
                        found.put(p.id().pid(), p.id());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // gone with its last process, or never made: the other two ways still find the tree
            }
        });
        Map<Long, List<Proc>> children = new HashMap<>();
        for (Proc p : all.values()) {
            children.computeIfAbsent(p.parent(), k -> new ArrayList<>()).add(p);
            if (p.uid() == guard.uid() && !found.containsKey(p.id().pid()) && marked(p.id().pid())) {
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
            if (p != null && !p.exited() && p.uid() == guard.uid() && id.pid() != self && id.pid() != 1
                    && id.pid() != guard.host().pid()) {
                members.add(id);
            }
        }
        return members;
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
            guard.cgroup().ifPresent(Tree::killCgroup);
            for (ProcessId p : members) {
                signalled.add(p);
                Signals.send(p, Libc.SIGKILL);
            }
            Thread.sleep(10);
            members = members();
        }
        return signalled.size();
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

    private static Map<Long, Proc> snapshot() {
        Map<Long, Proc> all = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                long pid = Long.parseLong(name);
                var stat = Processes.stat(pid);
                if (stat.isEmpty()) {
                    continue;
                }
                int uid;
                try {
                    uid = (Integer) Files.getAttribute(dir, "unix:uid");
                } catch (IOException | RuntimeException e) {
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
