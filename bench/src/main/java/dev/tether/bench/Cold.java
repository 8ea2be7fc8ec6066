package dev.tether.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * What an MCP launch sees from a tether that has just started: how long {@code ./tether up} takes to answer, its
 * first 100 requests, and a {@code docker run -i --rm} through it, beside the same on the engine's own socket, socat
 * and a tether that has served the whole benchmark. A just-started JVM interprets the relay until its compilers
 * catch up, so these are the figures a warm benchmark cannot show.
 *
 * <p>Usage: {@code Cold ROUNDS DIR ENGINE_SOCKET NAME=SOCKET...}: each round starts {@code ./tether up} twice on
 * private sockets in DIR (once for the requests, once for the run, so each is the first thing it serves) and measures
 * every NAME=SOCKET (already running) the same way.
 */
public final class Cold {

    static final int FIRST = 100;
    private static final String JUST_STARTED = "tether, just started";
    private static final String STARTUP = "start-up";

    private Cold() {}

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        Path dir = Path.of(args[1]);
        Path engine = Path.of(args[2]);
        Map<String, Path> running = Bench.targets(Arrays.copyOfRange(args, 3, args.length));
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        List<Long> starts = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (var target : running.entrySet()) {
                measure(results, target.getKey(), target.getValue());
            }
            Path socket = dir.resolve("cold" + round + ".sock");
            long launched = System.nanoTime();
            Process tether = start(socket, engine, dir);
            try {
                firstAnswer(socket, tether);
                starts.add((System.nanoTime() - launched) / 1_000_000);
                cpuAtFirstAnswer(tether.pid()).forEach((group, ms) -> add(results, STARTUP, group, ms));
                addFirst(results, JUST_STARTED, socket);
            } finally {
                stop(tether);
            }
            socket = dir.resolve("coldrun" + round + ".sock");
            tether = start(socket, engine, dir);
            try {
                firstAnswer(socket, tether);
                add(results, JUST_STARTED, "`docker run -i --rm` of `true`, ms", dockerRun(socket));
            } finally {
                stop(tether);
            }
        }
        print(results, starts);
    }

    private static void measure(Map<String, Map<String, List<Double>>> results, String name, Path socket) throws Exception {
        addFirst(results, name, socket);
        add(results, name, "`docker run -i --rm` of `true`, ms", dockerRun(socket));
    }

    private static void addFirst(Map<String, Map<String, List<Double>>> results, String name, Path socket) throws IOException {
        Histogram h = first(socket);
        add(results, name, "first " + FIRST + " GET /_ping on a new connection, p50 µs", h.getValueAtPercentile(50) / 1e3);
        add(results, name, "first " + FIRST + " GET /_ping on a new connection, p99 µs", h.getValueAtPercentile(99) / 1e3);
    }

    /** {@code ./tether up} as a user runs it: the launcher, the JDK and the AOT cache. */
    private static Process start(Path socket, Path engine, Path dir) throws IOException {
        return new ProcessBuilder("./tether", "up", "--socket", socket.toString(), "--upstream", "unix://" + engine,
                "--audit-log", dir.resolve("cold.jsonl").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("cold.err").toFile())
                .start();
    }

    private static void stop(Process tether) throws InterruptedException {
        tether.destroy();
        if (!tether.waitFor(30, TimeUnit.SECONDS)) {
            tether.destroyForcibly().waitFor();
        }
    }

    /** Waits for the first answered {@code _ping}, polling every 5 ms so that the poll leaves the starting JVM its cores. */
    private static void firstAnswer(Path socket, Process tether) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        byte[] ping = UnixHttp.get("/_ping");
        while (true) {
            try (UnixHttp http = new UnixHttp(socket, 4096)) {
                if (http.exchange(ping) == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!tether.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("tether did not answer on " + socket + " (exit " +
                        (tether.isAlive() ? "none" : tether.exitValue()) + ")");
            }
            Thread.sleep(5);
        }
    }

    /**
     * Where a start's CPU went by the first answer, in ms per group of threads: on 2 cores the wall time follows it.
     * The launcher execs the JVM, so the process started is the JVM.
     */
    private static Map<String, Double> cpuAtFirstAnswer(long pid) throws IOException {
        Map<String, Double> groups = new LinkedHashMap<>();
        for (String group : List.of("all threads", "JIT compilers (C1, C2)", "main", "tether's own threads",
                "the rest of the JVM (GC, VM thread, AOT replay, ...)")) {
            groups.put("CPU ms at the first answer: " + group, 0.0);
        }
        Cpu.threads(pid).forEach((thread, times) -> {
            String name = thread.substring(thread.indexOf(' ') + 1);
            String group = name.contains("CompilerThre") ? "JIT compilers (C1, C2)"
                    : name.equals("java") ? "main"
                    : name.startsWith("tether") || name.startsWith("epoll") || name.startsWith("docker-java")
                            || name.startsWith("prometheus") ? "tether's own threads"
                    : "the rest of the JVM (GC, VM thread, AOT replay, ...)";
            groups.merge("CPU ms at the first answer: " + group, times.runNanos() / 1e6, Double::sum);
            groups.merge("CPU ms at the first answer: all threads", times.runNanos() / 1e6, Double::sum);
        });
        return groups;
    }

    /** The first {@link #FIRST} requests of a new keep-alive connection, one after another. */
    private static Histogram first(Path socket) throws IOException {
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        byte[] ping = UnixHttp.get("/_ping");
        try (UnixHttp http = new UnixHttp(socket)) {
            for (int i = 0; i < FIRST; i++) {
                long start = System.nanoTime();
                if (http.exchange(ping) != 200) {
                    throw new IllegalStateException("_ping failed on " + socket);
                }
                h.recordValue(System.nanoTime() - start);
            }
        }
        return h;
    }

    /** What an MCP host does to start a containerised server, with the real docker CLI; stdin is at EOF at once. */
    private static double dockerRun(Path socket) throws Exception {
        ProcessBuilder docker = new ProcessBuilder("docker", "run", "-i", "--rm", "--network", "none",
                "--label", "dev.tether.test=bench", Workloads.IMAGE, "true")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        docker.environment().put("DOCKER_HOST", "unix://" + socket);
        long start = System.nanoTime();
        Process run = docker.start();
        run.getOutputStream().close();
        if (!run.waitFor(60, TimeUnit.SECONDS) || run.exitValue() != 0) {
            run.destroyForcibly();
            throw new IllegalStateException("docker run -i --rm through " + socket + " failed");
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static void add(Map<String, Map<String, List<Double>>> results, String name, String metric, double value) {
        Bench.add(results.computeIfAbsent(name, k -> new LinkedHashMap<>()), metric, value);
    }

    private static void print(Map<String, Map<String, List<Double>>> results, List<Long> starts) {
        Map<String, List<Double>> startup = results.remove(STARTUP);
        List<String> names = new ArrayList<>(results.keySet());
        String reference = names.getFirst();
        String warm = names.get(names.size() - 2);
        StringBuilder out = new StringBuilder("| a launch's first requests (median of " + starts.size() + " rounds) |");
        names.forEach(n -> out.append(' ').append(n).append(" |"));
        out.append(" just started / ").append(warm).append(" |\n|---|").append("---|".repeat(names.size() + 1)).append('\n');
        for (String metric : results.get(reference).keySet()) {
            double ref = Bench.median(results.get(reference).get(metric));
            out.append("| ").append(metric).append(" |");
            for (String n : names) {
                double v = Bench.median(results.get(n).get(metric));
                out.append(String.format(" %.1f", v));
                if (!n.equals(reference)) {
                    out.append(String.format(" (%.2f×)", v / ref));
                }
                out.append(" |");
            }
            out.append(String.format(" %.2f× |%n", Bench.median(results.get(JUST_STARTED).get(metric))
                    / Bench.median(results.get(warm).get(metric))));
        }
        List<Double> ms = starts.stream().map(Long::doubleValue).toList();
        out.append(String.format("%n| tether's start-up | |%n|---|---|%n| `./tether up` to the first answered `_ping`"
                + " (median of %d: %s ms) | %.0f ms |%n", starts.size(),
                String.join(" ", starts.stream().map(String::valueOf).toList()), Bench.median(ms)));
        startup.forEach((metric, values) -> out.append(String.format("| %s | %.0f |%n", metric, Bench.median(values))));
        System.out.print(out);
    }
}
