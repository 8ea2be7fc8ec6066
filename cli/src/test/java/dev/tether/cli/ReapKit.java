package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import dev.tether.labeler.Instance;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;

/**
 * Shared pieces of the reaper integration tests ({@code Reap*IT}): tether as a real process, /proc readings,
 * signals, and the measurement of death → gone.
 */
final class ReapKit {

    /** tether's default {@code --grace}. */
    static final Duration GRACE = Duration.ofSeconds(3);
    /** What the tests allow on top of the stop grace: inspect, stop, remove and our 20 ms polling. */
    static final Duration SLACK = Duration.ofSeconds(1);

    /**
     * A stdio MCP server as the hard case: ignores SIGTERM (PID 1 with the signal ignored) and the end of stdin,
     * says {@code ready} once up and answers every line it reads with {@code got LINE}.
     */
    static final String STUBBORN_SERVER =
            "trap '' TERM; echo ready; while :; do if read -r l; then echo \"got $l\"; else sleep 1; fi; done";

    private static final Path DOCKER_CONFIG = emptyDockerConfig();

    private ReapKit() {}

    // ---------------------------------------------------------------- measuring

    /**
     * Polls (every 20 ms) until the engine no longer knows {@code idOrName}, prints the time from {@code deathNanos}
     * (a {@link System#nanoTime()} taken just before the kill), and asserts it is within {@code budget}. Polling goes
     * on for a while past the budget, so a failure says how late the container went, or that it never did.
     */
    static Duration awaitGoneWithin(String idOrName, long deathNanos, Duration budget, String what) {
        return awaitGoneWithin(Engine.socket(), idOrName, deathNanos, budget, what);
    }

    /** {@link #awaitGoneWithin(String, long, Duration, String)} on the engine at {@code engine}. */
    static Duration awaitGoneWithin(Path engine, String idOrName, long deathNanos, Duration budget, String what) {
        long limit = deathNanos + budget.plusSeconds(15).toNanos();
        while (System.nanoTime() < limit) {
            if (find(engine, idOrName).isEmpty()) {
                Duration took = Duration.ofNanos(System.nanoTime() - deathNanos);
                report(what, took, budget);
                assertThat(took).as("%s: death → gone, within %s", what, budget).isLessThanOrEqualTo(budget);
                return took;
            }
            pause(20);
        }
        report(what, null, budget);
        throw new AssertionError(what + ": container " + idOrName + " still exists " + budget.plusSeconds(15)
                + " after the death; state " + find(engine, idOrName).map(j -> j.path("State").toString()).orElse("gone"));
    }

    /** Inspects a container on the engine at {@code engine}; empty when it does not know it. */
    static Optional<JsonNode> find(Path engine, String idOrName) {
        RawHttp.Response r;
        try (RawHttp http = RawHttp.connect(engine)) {
            r = http.exchange(RawHttp.request("GET", "/containers/" + Engine.encode(idOrName) + "/json"));
        }
        if (r.status() == 404 || (r.status() == 500 && r.json().path("message").asText().contains("no such container"))) {
            return Optional.empty(); // Podman says 500 "no such container" for one it is removing that instant
        }
        assertThat(r.status()).as("inspect %s on %s: %s", idOrName, engine, r).isEqualTo(200);
        return Optional.of(r.json());
    }

    /** Fails at the first poll (every 50 ms) in which the container is gone or not running, over all of {@code window}. */
    static void assertStaysRunning(String idOrName, Duration window, String what) {
        long end = System.nanoTime() + window.toNanos();
        do {
            Optional<JsonNode> c = Engine.find(idOrName);
            assertThat(c).as("%s: container %s still exists", what, idOrName).isPresent();
            assertThat(Engine.running(c.get())).as("%s: container %s still running: %s", what, idOrName,
                    c.get().path("State")).isTrue();
            pause(50);
        } while (System.nanoTime() < end);
    }

    /** The container exists, runs, and has not been restarted since {@code before} was taken. */
    static void assertUntouched(String idOrName, JsonNode before, String what) {
        assertUntouched(Engine.socket(), idOrName, before, what);
    }

    /** {@link #assertUntouched(String, JsonNode, String)} on the engine at {@code engine}. */
    static void assertUntouched(Path engine, String idOrName, JsonNode before, String what) {
        JsonNode now = find(engine, idOrName).orElseThrow(() -> new AssertionError(what + ": container " + idOrName + " is gone"));
        assertThat(Engine.running(now)).as("%s: %s runs: %s", what, idOrName, now.path("State")).isTrue();
        assertThat(now.at("/State/StartedAt").asText()).as("%s: %s not restarted", what, idOrName)
                .isEqualTo(before.at("/State/StartedAt").asText());
    }

    static void report(String what, Duration took, Duration budget) {
        System.out.printf("[reap-timing] %-72s death→gone %s (budget %d ms)%n", what,
                took == null ? "NEVER" : String.format("%5d ms", took.toMillis()), budget.toMillis());
        System.out.flush();
    }

    static void pause(long millis) {
        Engine.pause(millis);
    }

    // ---------------------------------------------------------------- processes

    /** /proc/PID/stat field 22: start time in clock ticks since boot; -1 once the process is gone. */
    static long startTicks(long pid) {
        return statField(pid, 22);
    }

    /** /proc/PID/stat field 5: the process group. */
    static long processGroup(long pid) {
        return statField(pid, 5);
    }

    private static long statField(long pid, int field) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(after[field - 3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILL through a handle (which checks the start time, so a reused pid is never hit), then waits for the end. */
    static void sigkill(ProcessHandle p) {
        p.destroyForcibly();
        try {
            p.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("pid " + p.pid() + " did not die of SIGKILL", e);
        }
    }

    /** Sends {@code signal} (a name such as HUP) to every process in group {@code pgid}, which must not be ours. */
    static void signalGroup(long pgid, String signal) throws IOException, InterruptedException {
        long ours = processGroup(ProcessHandle.current().pid());
        assertThat(pgid).as("a process group of its own").isGreaterThan(1).isNotEqualTo(ours);
        Process kill = new ProcessBuilder("/bin/kill", "-s", signal, "--", "-" + pgid).redirectErrorStream(true).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as(new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    }

    /**
     * A docker-py script that creates a detached {@code sleep 600} named {@code name} through {@code socket}, says
     * {@code CREATED ID} and lives on: an SDK owner, whose container tether ends with the process.
     */
    static Cli.Running dockerPyOwner(Path socket, String name) throws IOException {
        String[] label = Engine.labelArg().split("=", 2);
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-c", """
                import docker, sys, time
                client = docker.DockerClient(base_url=sys.argv[1], version="auto")
                c = client.containers.run("tether-test/busybox:1", ["sleep", "600"], detach=True, name=sys.argv[2],
                                          labels={sys.argv[3]: sys.argv[4]}, network_mode="none")
                print("CREATED", c.id, flush=True)
                time.sleep(600)
                """, "unix://" + socket, name, label[0], label[1]);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        Cli.Running owner = new Cli.Running("docker-py owner", pb.start());
        try {
            owner.awaitStdout("CREATED ", Duration.ofSeconds(60));
        } catch (AssertionError | RuntimeException e) {
            owner.close();
            throw e;
        }
        return owner;
    }

    // ---------------------------------------------------------------- the docker CLI's environment

    /** The environment a docker CLI gets in these tests: tether's socket and an empty config. */
    static void dockerEnv(Map<String, String> env, Path socket) {
        env.keySet().removeIf(k -> k.startsWith("DOCKER_"));
        env.put("DOCKER_HOST", "unix://" + socket);
        env.put("DOCKER_CONFIG", DOCKER_CONFIG.toString());
        env.put("DOCKER_CLI_HINTS", "false");
    }

    private static Path emptyDockerConfig() {
        try {
            Path dir = Files.createTempDirectory("tether-reap-docker-config");
            Files.writeString(dir.resolve("config.json"), "{}");
            dir.toFile().deleteOnExit();
            dir.resolve("config.json").toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A test class's end: stops its tethers and prints their logs (what a failure needs), then removes the run's
     * containers and its directory, whatever failed before.
     */
    static void tearDown(String test, Path dir, Tether... tethers) {
        try {
            for (Tether t : tethers) {
                if (t != null) {
                    t.close();
                    System.out.println("[tether log, " + test + " " + t.socket.getFileName() + "]\n" + t.log());
                }
            }
        } finally {
            Engine.cleanup();
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    // ---------------------------------------------------------------- tether as a real process

    /**
     * The tether command line: the packaged jar (system property {@code tether.jar}) on this JDK, exactly what
     * {@code ./tether} execs once its jar is fresh; the launcher itself only when there is no jar. The launcher is
     * not used when the jar exists because it rebuilds (with Maven, under this very build) whenever any source,
     * tests included, is newer than the jar.
     */
    static List<String> tetherCommand(String... args) {
        List<String> command = new ArrayList<>();
        String jar = System.getProperty("tether.jar");
        if (jar != null && Files.isRegularFile(Path.of(jar))) {
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-jar", jar));
        } else {
            command.add(Engine.root().resolve("tether").toString());
        }
        command.addAll(List.of(args));
        return command;
    }

    /** {@code tether sweep ARGS --upstream <engine>}, to its end; stdout is what the user reads. */
    /** Runs {@code tether ARGS} (no DOCKER_* of the test's environment) and returns what it said. */
    static Cli.Result tetherSays(String... args) {
        ProcessBuilder pb = new ProcessBuilder(tetherCommand(args));
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        try (Cli.Running running = new Cli.Running(String.join(" ", args), pb.start())) {
            return running.await(Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Cli.Result sweep(String... args) {
        return sweepOn(Engine.endpoint().uri(), args);
    }

    /** {@code tether sweep ARGS --upstream UPSTREAM}, to its end. */
    static Cli.Result sweepOn(String upstream, String... args) {
        List<String> command = new ArrayList<>(tetherCommand("sweep"));
        command.addAll(List.of(args));
        command.addAll(List.of("--upstream", upstream));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            Cli.Result result = running.await(Duration.ofSeconds(60));
            System.out.println("[tether sweep " + String.join(" ", args) + "]\n" + result.out().strip());
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The line {@code tether sweep} printed for a container, found by its short id. */
    static String sweepLine(Cli.Result sweep, String id) {
        String shortId = id.substring(0, 12);
        return sweep.out().lines().filter(l -> l.contains(" " + shortId + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("tether sweep printed no line for " + shortId + ":\n" + sweep));
    }

    /** A {@code tether up} process; its log lines are collected as they come. */
    static final class Tether implements AutoCloseable {
        final Process process;
        final Path socket;
        final long launchedNanos;
        private final List<String> log = new ArrayList<>();
        private volatile long readyNanos;

        private Tether(Process process, Path socket, long launchedNanos) {
            this.process = process;
            this.socket = socket;
            this.launchedNanos = launchedNanos;
            pump(process.getInputStream(), true);
            pump(process.getErrorStream(), false);
        }

        /** Starts {@code tether up --socket SOCKET ARGS} and waits until it prints its export line. */
        static Tether up(Path socket, String... args) throws IOException {
            List<String> command = new ArrayList<>(tetherCommand("up", "--socket", socket.toString()));
            command.addAll(List.of(args));
            if (!command.contains("--upstream")) {
                command.addAll(List.of("--upstream", Engine.endpoint().uri())); // the engine the tests inspect
            }
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
            return start(pb, socket);
        }

        /** Starts tether as {@code pb} says (a {@code tether up} on {@code socket}) and waits for its export line. */
        static Tether start(ProcessBuilder pb, Path socket) throws IOException {
            long launched = System.nanoTime();
            Tether t = new Tether(pb.start(), socket, launched);
            t.awaitLog(l -> l.equals("export DOCKER_HOST=unix://" + socket), Duration.ofSeconds(90));
            return t;
        }

        private void pump(InputStream stream, boolean stdout) {
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        long now = System.nanoTime();
                        synchronized (log) {
                            if (stdout && line.startsWith("export DOCKER_HOST=") && readyNanos == 0) {
                                readyNanos = now;
                            }
                            log.add(line);
                            log.notifyAll();
                        }
                    }
                } catch (IOException ignored) {
                    // tether is gone
                }
            });
        }

        long pid() {
            return process.pid();
        }

        /** The nanoTime at which tether printed its export line: it serves and its first sweep has begun. */
        long readyNanos() {
            return readyNanos;
        }

        /** The {@code dev.tether.instance} value this tether writes. */
        String instance() {
            return new Instance(pid(), startTicks(pid())).label();
        }

        String log() {
            synchronized (log) {
                return String.join("\n", log);
            }
        }

        /** Waits for a log line (stdout or stderr) matching {@code match}; fails if tether exits first. */
        String awaitLog(Predicate<String> match, Duration timeout) {
            long end = System.nanoTime() + timeout.toNanos();
            synchronized (log) {
                int seen = 0;
                while (true) {
                    for (; seen < log.size(); seen++) {
                        if (match.test(log.get(seen))) {
                            return log.get(seen);
                        }
                    }
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("tether logged no such line within " + timeout + "; log:\n" + log());
                    }
                    if (!process.isAlive()) {
                        try {
                            log.wait(200); // the last lines may still be on their way
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        for (; seen < log.size(); seen++) {
                            if (match.test(log.get(seen))) {
                                return log.get(seen);
                            }
                        }
                        throw new AssertionError("tether exited with " + process.exitValue() + "; log:\n" + log());
                    }
                    try {
                        log.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 200));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted");
                    }
                }
            }
        }

        /** tether's log line for the reap of the container named {@code name}. */
        String awaitReaped(String name) {
            return awaitLog(l -> l.contains(" reaped ") && l.contains("(" + name + ", "), Duration.ofSeconds(10));
        }

        void sigkill() {
            if (process.isAlive()) {
                ReapKit.sigkill(process.toHandle());
            }
        }

        @Override
        public void close() {
            sigkill();
        }
    }
}
