package dev.tether.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Puts the same load on each socket in one run, round after round so that drift hits all alike, and prints a
 * markdown table of medians over the rounds with ratios to the engine's own socket.
 *
 * <p>Usage: {@code Bench ROUNDS NAME=SOCKET...}; the first socket is the reference (the engine's own).
 */
public final class Bench {

    private static final int WARMUP = 2_000;
    private static final int REQUESTS = 10_000;
    private static final int CONNECTIONS = 16;
    private static final long LOAD_NANOS = 3_000_000_000L;
    private static final int CHURN = 10;
    private static final long BULK = 1L << 30;

    private Bench() {}

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        Map<String, Path> targets = new LinkedHashMap<>();
        for (String arg : Arrays.copyOfRange(args, 1, args.length)) {
            int eq = arg.indexOf('=');
            targets.put(arg.substring(0, eq), Path.of(arg.substring(eq + 1)));
        }
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        Path reference = targets.values().iterator().next();
        String bulk;
        try (UnixHttp http = new UnixHttp(reference)) {
            bulk = Workloads.create(http, "sleep", "3600");
            Workloads.call(http, "POST", "/containers/" + bulk + "/start", 204);
        }
        try {
            measure(rounds, targets, results, bulk);
        } finally {
            try (UnixHttp http = new UnixHttp(reference)) {
                Workloads.call(http, "DELETE", "/containers/" + bulk + "?force=1&v=1", 204);
            }
        }
        print(results);
    }

    private static void measure(int rounds, Map<String, Path> targets, Map<String, Map<String, List<Double>>> results,
                                String bulk) throws Exception {
        for (int round = 0; round < rounds; round++) {
            for (var target : targets.entrySet()) {
                Map<String, List<Double>> r = results.computeIfAbsent(target.getKey(), k -> new LinkedHashMap<>());
                for (String path : List.of("/_ping", "/containers/json")) {
                    Histogram h = latency(target.getValue(), UnixHttp.get(path));
                    add(r, "GET " + path + " p50 µs", h.getValueAtPercentile(50) / 1e3);
                    add(r, "GET " + path + " p99 µs", h.getValueAtPercentile(99) / 1e3);
                }
                add(r, "GET /_ping req/s, " + CONNECTIONS + " connections", throughput(target.getValue()));
                add(r, "containers/s (create, start, wait, remove)", Workloads.churn(target.getValue(), CHURN));
                add(r, "PUT archive 1 GiB (docker cp in) MiB/s", Workloads.putArchive(target.getValue(), bulk, BULK));
                add(r, "GET archive 1 GiB (docker cp out) MiB/s", Workloads.getArchive(target.getValue(), bulk, "/tmp/big.bin"));
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

    private static void add(Map<String, List<Double>> r, String metric, double value) {
        r.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void print(Map<String, Map<String, List<Double>>> results) {
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
}
