package dev.tether.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Puts the same load on each socket in one run, round after round so that drift hits all alike, and prints a
 * markdown table of medians over the rounds with ratios to the engine's own socket; then what tether itself
 * held with many sessions open, and, once after the rounds, how fast tether's reaper ends orphaned sessions.
 *
 * <p>Usage: {@code Bench ROUNDS NAME=SOCKET...}; the first socket is the reference (the engine's own). The target
 * named {@code tether} is also the one whose reaper is timed. {@code -Dbench.pid.tether=PID} (the tether JVM) adds
 * its memory and descriptors, and {@code -Dbench.pid.NAME=PID} for any target the CPU its process (and its children)
 * spends per relayed request; {@code -Dbench.only=exec,reaper} runs only the workloads named (latency, cpu,
 * throughput, churn, archive, exec, attach, idle, reaper).
 */
public final class Bench {

    private static final int WARMUP = 2_000;
    private static final int REQUESTS = 10_000;
    private static final int CONNECTIONS = 16;
    private static final long LOAD_NANOS = 3_000_000_000L;
    private static final int CHURN = 10;
    private static final long BULK = 1L << 30;
    private static final int SESSIONS = 500;
    private static final int REAPED_ONE_BY_ONE = 20;
    private static final int REAPED_AT_ONCE = 50;
    private static final String TETHER = "tether";

    private static final List<String> WORKLOADS =
            List.of("latency", "cpu", "throughput", "churn", "archive", "exec", "attach", "idle", "reaper");
    private static final Long TETHER_PID = Long.getLong("bench.pid.tether");

    private Bench() {}

    /** A misspelt name would silently measure nothing. */
    private static Set<String> only(String names) {
        Set<String> only = Set.copyOf(Arrays.stream(names.split(",")).filter(n -> !n.isBlank()).toList());
        if (!WORKLOADS.containsAll(only)) {
            throw new IllegalArgumentException("bench.only=" + names + ": the workloads are " + WORKLOADS);
        }
        return only;
    }

    private static boolean runs(Set<String> only, String workload) {
        return only.isEmpty() || only.contains(workload);
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        Set<String> only = only(System.getProperty("bench.only", ""));
        Map<String, Path> targets = targets(Arrays.copyOfRange(args, 1, args.length));
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        Map<String, List<Double>> itself = new LinkedHashMap<>();
        Map<String, Map<String, List<Double>>> cpu = new LinkedHashMap<>();
        Path reference = targets.values().iterator().next();
        String bulk;
        try (UnixHttp http = new UnixHttp(reference)) {
            bulk = Workloads.create(http, "sleep", "3600");
            Workloads.call(http, "POST", "/containers/" + bulk + "/start", 204);
        }
        try {
            measure(rounds, targets, only, results, itself, cpu, bulk);
        } finally {
            try (UnixHttp http = new UnixHttp(reference)) {
                Workloads.remove(http, bulk, false);
            }
        }
        print(results);
        printCpu(cpu);
        printItself(itself);
        if (runs(only, "reaper") && targets.containsKey(TETHER)) {
            List<Reaping.Reap> oneByOne = new ArrayList<>();
            for (int i = 0; i < REAPED_ONE_BY_ONE; i++) {
                oneByOne.addAll(Reaping.killed(targets.get(TETHER), reference, 1));
            }
            printReaper(oneByOne, Reaping.killed(targets.get(TETHER), reference, REAPED_AT_ONCE));
        }
    }

    /** {@code NAME=SOCKET} arguments, in their order. */
    static Map<String, Path> targets(String[] args) {
        Map<String, Path> targets = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            targets.put(arg.substring(0, eq), Path.of(arg.substring(eq + 1)));
        }
        return targets;
    }

    private static void measure(int rounds, Map<String, Path> targets, Set<String> only,
                                Map<String, Map<String, List<Double>>> results, Map<String, List<Double>> itself,
                                Map<String, Map<String, List<Double>>> cpu, String bulk) throws Exception {
        Path reference = targets.values().iterator().next();
        for (int round = 0; round < rounds; round++) {
            for (var target : targets.entrySet()) {
                Map<String, List<Double>> r = results.computeIfAbsent(target.getKey(), k -> new LinkedHashMap<>());
                Path socket = target.getValue();
                if (runs(only, "latency")) {
                    for (String path : List.of("/_ping", "/containers/json")) {
                        Histogram h = latency(socket, UnixHttp.get(path));
                        add(r, "GET " + path + " p50 µs", h.getValueAtPercentile(50) / 1e3);
                        add(r, "GET " + path + " p99 µs", h.getValueAtPercentile(99) / 1e3);
                    }
                }
                Long pid = Long.getLong("bench.pid." + target.getKey());
                if (runs(only, "cpu") && pid != null) {
                    Cpu.PerRequest c = Cpu.pings(socket, pid);
                    Map<String, List<Double>> m = cpu.computeIfAbsent(target.getKey(), k -> new LinkedHashMap<>());
                    add(m, "CPU µs per keep-alive GET /_ping (" + Cpu.REQUESTS + " on one connection), all threads", c.micros());
                    add(m, "of it in user space (10 ms ticks, rough)", c.userMicros());
                    add(m, "busiest thread's share %", c.busiestShare() * 100);
                    add(m, "waiting for a core (run queue), µs per request", c.waitMicros());
                }
                if (runs(only, "throughput")) {
                    add(r, "GET /_ping req/s, " + CONNECTIONS + " connections", throughput(socket));
                }
                if (runs(only, "churn")) {
                    add(r, "containers/s (create, start, wait, remove)", Workloads.churn(socket, CHURN));
                }
                Bulk bulkOf = new Bulk(r, cpu, target.getKey(), pid);
                if (runs(only, "archive")) {
                    bulkOf.measure("PUT archive 1 GiB (docker cp in)", () -> Workloads.putArchive(socket, bulk, BULK));
                    bulkOf.measure("GET archive 1 GiB (docker cp out)", () -> Workloads.getArchive(socket, bulk, "/tmp/big.bin"));
                }
                if (runs(only, "exec")) {
                    bulkOf.measure("exec stdout 1 GiB", () -> Workloads.execStdout(socket, bulk, BULK));
                }
                if (runs(only, "attach")) {
                    bulkOf.measure("attach stdin 1 GiB", () -> Workloads.attachStdin(socket, reference, BULK));
                }
                if (runs(only, "idle")) {
                    boolean self = target.getKey().equals(TETHER) && TETHER_PID != null;
                    var idle = Workloads.idleSessions(socket, reference, SESSIONS,
                            self ? new Workloads.Proc(TETHER_PID) : null);
                    add(r, "GET /_ping p50 µs, " + SESSIONS + " attach sessions open", idle.ping().getValueAtPercentile(50) / 1e3);
                    add(r, "GET /_ping p99 µs, " + SESSIONS + " attach sessions open", idle.ping().getValueAtPercentile(99) / 1e3);
                    if (self) {
                        add(itself, "RSS with " + SESSIONS + " attach sessions open MiB", idle.rssMiB());
                        add(itself, "file descriptors before the sessions opened", idle.fdsBefore());
                        add(itself, "file descriptors with " + SESSIONS + " sessions open", idle.fdsOpen());
                        add(itself, "file descriptors after they closed", idle.fdsAfter());
                    }
                }
            }
        }
    }

    interface Stream {
        double mibPerSecond() throws Exception;
    }

    /**
     * A bulk stream's MiB/s, how busy the machine's two cores were meanwhile (a relay can only be as fast as the
     * CPU the engine and the client leave it), and the relay's own CPU per GiB.
     */
    private record Bulk(Map<String, List<Double>> results, Map<String, Map<String, List<Double>>> cpu, String target,
                        Long pid) {
        void measure(String stream, Stream work) throws Exception {
            double[] mibs = new double[1];
            Cpu.Stretch stretch = Cpu.during(pid, () -> mibs[0] = work.mibPerSecond());
            add(results, stream + " MiB/s", mibs[0]);
            add(results, stream + ": machine busy %", stretch.machineBusy() * 100);
            if (pid != null) {
                add(cpu.computeIfAbsent(target, k -> new LinkedHashMap<>()), "CPU s per GiB, " + stream.replace(" 1 GiB", ""), stretch.relaySeconds() / (BULK / (double) (1 << 30)));
            }
        }
    }

    /** One keep-alive connection, requests one after another. */
    static Histogram latency(Path socket, byte[] request) throws Exception {
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        try (UnixHttp http = new UnixHttp(socket)) {
            for (int i = 0; i < WARMUP + REQUESTS; i++) {
                long start = System.nanoTime();
                check(http.exchange(request));
                if (i >= WARMUP) {
                    h.recordValue(System.nanoTime() - start);
                }
            }
        }
        return h;
    }

    static double throughput(Path socket) throws Exception {
        LongAdder done = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        long end = System.nanoTime() + LOAD_NANOS;
        for (int c = 0; c < CONNECTIONS; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (UnixHttp http = new UnixHttp(socket)) {
                    byte[] ping = UnixHttp.get("/_ping");
                    while (System.nanoTime() < end) {
                        check(http.exchange(ping));
                        done.increment();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return done.sum() / (LOAD_NANOS / 1e9);
    }

    private static void check(int status) {
        if (status != 200) {
            throw new IllegalStateException("status " + status);
        }
    }

    static void add(Map<String, List<Double>> r, String metric, double value) {
        r.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void print(Map<String, Map<String, List<Double>>> results) {
        if (results.isEmpty() || results.values().iterator().next().isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>(results.keySet());
        String reference = names.getFirst();
        StringBuilder out = new StringBuilder("| measure (median of rounds) |");
        names.forEach(n -> out.append(' ').append(n).append(" |"));
        out.append("\n|---|").append("---|".repeat(names.size())).append('\n');
        for (String metric : results.get(reference).keySet()) {
            double ref = median(results.get(reference).get(metric));
            out.append("| ").append(metric).append(" |");
            for (String n : names) {
                double v = median(results.get(n).get(metric));
                out.append(String.format(" %.1f", v));
                if (!n.equals(reference)) {
                    out.append(String.format(" (%.2f×)", v / ref));
                }
                out.append(" |");
            }
            out.append('\n');
        }
        System.out.print(out);
    }

    /** The relays' CPU per request side by side, with the ratio of the last one (tether) to the first (socat). */
    private static void printCpu(Map<String, Map<String, List<Double>>> cpu) {
        if (cpu.isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>(cpu.keySet());
        StringBuilder out = new StringBuilder("\n| relay's CPU (median of rounds) |");
        names.forEach(n -> out.append(' ').append(n).append(" |"));
        boolean ratio = names.size() > 1;
        if (ratio) {
            out.append(' ').append(names.getLast()).append(" / ").append(names.getFirst()).append(" |");
        }
        out.append("\n|---|").append("---|".repeat(names.size() + (ratio ? 1 : 0))).append('\n');
        for (String metric : cpu.get(names.getFirst()).keySet()) {
            out.append("| ").append(metric).append(" |");
            for (String n : names) {
                out.append(String.format(" %.1f |", median(cpu.get(n).get(metric))));
            }
            if (ratio) {
                out.append(String.format(" %.2f× |", median(cpu.get(names.getLast()).get(metric))
                        / median(cpu.get(names.getFirst()).get(metric))));
            }
            out.append('\n');
        }
        System.out.print(out);
    }

    private static void printItself(Map<String, List<Double>> itself) {
        if (itself.isEmpty()) {
            return;
        }
        StringBuilder out = new StringBuilder("\n| tether itself (median of rounds) | |\n|---|---|\n");
        itself.forEach((metric, values) -> out.append(String.format("| %s | %.1f |%n", metric, median(values))));
        System.out.print(out);
    }

    private static void printReaper(List<Reaping.Reap> oneByOne, List<Reaping.Reap> atOnce) {
        StringBuilder out = new StringBuilder("\n| the reaper (tether), ms from the CLI's SIGKILL | n | notice median"
                + " | notice max | gone median | gone max |\n|---|---|---|---|---|---|\n");
        reaperRow(out, "sessions one after another", oneByOne);
        reaperRow(out, "sessions killed at once", atOnce);
        System.out.print(out);
    }

    private static void reaperRow(StringBuilder out, String what, List<Reaping.Reap> reaps) {
        List<Double> notice = reaps.stream().map(Reaping.Reap::noticeMs).toList();
        List<Double> gone = reaps.stream().map(Reaping.Reap::goneMs).toList();
        out.append(String.format("| %s | %d | %.1f | %.1f | %.1f | %.1f |%n", what, reaps.size(),
                median(notice), max(notice), median(gone), max(gone)));
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
