package dev.tether.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CPU a relay spends per request: the time its threads ran, before and after a fixed number of keep-alive
 * requests over one connection, from {@code /proc/PID/task/TID/schedstat} (nanoseconds on a CPU, user and kernel
 * alike; {@code /proc/PID/stat} counts in 10 ms ticks, too coarse for a few seconds of work). socat forks a child
 * per connection, which does the copying: a relay's children are counted with it, read while the connection is
 * still open (a dead child's time is only in its parent's cutime once reaped).
 */
final class Cpu {

    static final int WARMUP = 2_000;
    static final int REQUESTS = 20_000;

    private Cpu() {}

    /**
     * CPU of a relay over {@link #REQUESTS} pings: µs per request in all, the part of it in user space (from the
     * 10 ms ticks of {@code /proc/PID/task/TID/stat}, so only roughly), the busiest thread's share, and how long
     * its threads were ready to run but waited for a core (schedstat's run-queue time): on a machine the client, the
     * relay and the engine share, that wait is the latency no code path can remove.
     */
    record PerRequest(double micros, double userMicros, double busiestShare, String busiest, double waitMicros) {}

    static PerRequest pings(Path socket, long pid) throws IOException {
        byte[] ping = UnixHttp.get("/_ping");
        try (UnixHttp http = new UnixHttp(socket)) {
            for (int i = 0; i < WARMUP; i++) {
                check(http.exchange(ping));
            }
            Map<String, Times> before = threads(pid);
            for (int i = 0; i < REQUESTS; i++) {
                check(http.exchange(ping));
            }
            Map<String, Times> after = threads(pid);
            long total = 0;
            long user = 0;
            long wait = 0;
            long busiest = 0;
            String busiestName = "";
            for (var e : after.entrySet()) {
                Times was = before.getOrDefault(e.getKey(), Times.NONE);
                long spent = e.getValue().runNanos() - was.runNanos();
                total += spent;
                user += e.getValue().userTicks() - was.userTicks();
                wait += e.getValue().waitNanos() - was.waitNanos();
                if (spent > busiest) {
                    busiest = spent;
                    busiestName = e.getKey();
                }
            }
            return new PerRequest(total / 1e3 / REQUESTS, user * 1e4 / REQUESTS, total == 0 ? 0 : busiest / (double) total,
                    busiestName.substring(busiestName.indexOf(' ') + 1), wait / 1e3 / REQUESTS);
        }
    }

    private static void check(int status) {
        if (status != 200) {
            throw new IllegalStateException("_ping answered " + status);
        }
    }

    /**
     * What one thread has had so far: nanoseconds on a CPU and ready to run but waiting for one (schedstat), and
     * clock ticks in user mode (stat).
     */
    record Times(long runNanos, long waitNanos, long userTicks) {
        static final Times NONE = new Times(0, 0, 0);
    }

    /** Every thread of {@code pid} and of its descendants, "TID name" to its {@link Times}. */
    static Map<String, Times> threads(long pid) throws IOException {
        Map<String, Times> out = new LinkedHashMap<>();
        collect(pid, out);
        return out;
    }

    private static void collect(long pid, Map<String, Times> out) throws IOException {
        List<Path> tasks;
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            tasks = s.toList();
        } catch (NoSuchFileException e) {
            return; // gone meanwhile
        }
        List<Long> children = new ArrayList<>();
        for (Path task : tasks) {
            try {
                String[] schedstat = Files.readString(task.resolve("schedstat")).trim().split(" ");
                String comm = Files.readString(task.resolve("comm")).strip();
                String stat = Files.readString(task.resolve("stat"));
                // fields after the command's closing parenthesis: state is field 3, utime field 14
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                out.put(task.getFileName() + " " + comm, new Times(Long.parseLong(schedstat[0]),
                        Long.parseLong(schedstat[1]), Long.parseLong(fields[11])));
                for (String child : Files.readString(task.resolve("children")).trim().split("\\s+")) {
                    if (!child.isEmpty()) {
                        children.add(Long.parseLong(child));
                    }
                }
            } catch (NoSuchFileException e) {
                // a thread that ended between the listing and the read
            }
        }
        for (long child : children) {
            collect(child, out);
        }
    }

    /**
     * A stretch of bulk work: the seconds of CPU a relay's process spent on it (reaped children included, as socat's
     * per-connection ones are gone by the end; 10 ms ticks are fine over seconds) and how busy the machine's cores
     * were meanwhile (from {@code /proc/stat}: all but idle and I/O wait).
     */
    record Stretch(double relaySeconds, double machineBusy) {}

    interface Work {
        void run() throws Exception;
    }

    static Stretch during(Long pid, Work work) throws Exception {
        long[] machine = machine();
        long relay = pid == null ? 0 : processTicks(pid);
        work.run();
        long[] after = machine();
        if (pid != null) {
            awaitChildrenReaped(pid);
        }
        double busy = (double) (after[0] - machine[0]) / Math.max(1, after[1] - machine[1]);
        return new Stretch(pid == null ? 0 : (processTicks(pid) - relay) / 100.0, busy);
    }

    /**
     * A child's time reaches its parent's cutime only once reaped: socat's per-connection child may still be
     * exiting when the stream's last byte has arrived. Waits (at most 5 s) until the relay has no children left.
     */
    private static void awaitChildrenReaped(long pid) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            boolean any = false;
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
                for (Path task : tasks.toList()) {
                    any |= !Files.readString(task.resolve("children")).isBlank();
                }
            }
            if (!any) {
                return;
            }
            Thread.sleep(10);
        }
    }

    /** utime + stime + cutime + cstime of {@code pid}, in clock ticks. */
    private static long processTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }

    /** The machine's busy and total clock ticks, all cores. */
    private static long[] machine() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < Math.min(f.length, 9); i++) {
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {total - idle, total};
    }

    /** {@code Cpu SOCKET PID [N]}: N keep-alive pings (default 20000) over SOCKET, printing PID's CPU per request. */
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        long pid = Long.parseLong(args[1]);
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        for (int i = 0; i < rounds; i++) {
            PerRequest r = pings(socket, pid);
            System.out.printf("%.1f µs CPU per _ping, ~%.0f µs of it in user space (busiest thread %s: %.0f %%)%n",
                    r.micros(), r.userMicros(), r.busiest(), r.busiestShare() * 100);
        }
    }
}
