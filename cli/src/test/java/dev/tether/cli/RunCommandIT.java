package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.labeler.TetherLabels;
import dev.tether.process.Libc;
import dev.tether.process.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.TetherExtension;

/**
 * {@code tether run -- docker run -i …} as an MCP host runs it: the real launcher, real docker CLIs, a tether started
 * detached when none serves the socket, and real signals.
 */
@Timeout(300)
class RunCommandIT {

    /** The first run in a fresh checkout may record the AOT cache; a tether start on a loaded machine takes seconds. */
    private static final Duration START = Duration.ofSeconds(120);

    private Path dir;
    private Path socket;
    private Path dockerConfig;
    private final List<Cli.Running> runs = new ArrayList<>();

    @BeforeEach
    void makeDir() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-run");
        socket = dir.resolve("docker.sock");
        dockerConfig = Files.createDirectory(dir.resolve("docker-config"));
        Files.writeString(dockerConfig.resolve("config.json"), "{}");
    }

    @AfterEach
    void stopAll() throws Exception {
        runs.forEach(Cli.Running::close);
        for (long pid : tethersOn(socket)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Engine.cleanup();
    }

    @Test
    void twoConcurrentRunsStartOneTetherAndEachDockerCliOwnsItsSessionContainer() throws Exception {
        String nameA = Engine.name("run-a");
        String nameB = Engine.name("run-b");
        Cli.Running a = run(nameA);
        Cli.Running b = run(nameB);

        a.write("line from a\n");
        b.write("line from b\n");
        a.awaitStdout("line from a", START);
        b.awaitStdout("line from b", START);

        List<Long> tethers = tethersOn(socket);
        assertThat(tethers).as("tether processes serving " + socket).hasSize(1);
        long tetherPid = tethers.getFirst();
        assertThat(Files.readString(log())).as("the detached tether's log")
                .containsOnlyOnce("listening on " + socket);

        long self = ProcessHandle.current().pid();
        for (var run : List.of(new Object[] {a, nameA}, new Object[] {b, nameB})) {
            Cli.Running cli = (Cli.Running) run[0];
            JsonNode labels = Engine.inspect((String) run[1]).at("/Config/Labels");
            assertThat(labels.path(TetherLabels.OWNER_PID).asText())
                    .as("owner: the docker CLI, which is the process that ran `tether run` (exec)")
                    .isEqualTo(Long.toString(cli.pid()));
            assertThat(labels.path(TetherLabels.OWNER_EXE).asText()).endsWith("/docker");
            assertThat(labels.path(TetherLabels.HOST_PID).asText()).as("host: this JVM, which launched `tether run`")
                    .isEqualTo(Long.toString(self));
            assertThat(labels.path(TetherLabels.TIE).asText()).isEqualTo("session");
            assertThat(labels.path(TetherLabels.INSTANCE).asText()).as("the one tether's instance")
                    .startsWith(tetherPid + "-");
        }
        assertThat(ProcessHandle.of(tetherPid).flatMap(p -> p.parent()).map(ProcessHandle::pid))
                .as("the tether is nobody's child here: not the docker CLI's, not this JVM's")
                .isNotEqualTo(Optional.of(a.pid())).isNotEqualTo(Optional.of(b.pid())).isNotEqualTo(Optional.of(self));

        String idA = Engine.inspect(nameA).path("Id").asText();
        a.process().toHandle().destroyForcibly(); // SIGKILL of the docker CLI: it forwards nothing
        Engine.awaitGone(idA, Duration.ofSeconds(30));

        b.write("b still works\n");
        b.awaitStdout("b still works", Duration.ofSeconds(30));
        b.closeStdin();
        Cli.Result finished = b.await(Duration.ofSeconds(60));
        assertThat(finished.exitCode()).as(finished.toString()).isZero();
    }

    @Test
    void whenATetherServesTheSocketRunStartsNothing() throws Exception {
        Cli.Running first = run(Engine.name("run-first"));
        first.write("first\n");
        first.awaitStdout("first", START);
        List<Long> before = tethersOn(socket);
        assertThat(before).hasSize(1);

        String name = Engine.name("run-second");
        Cli.Running second = run(name);
        second.write("second\n");
        second.awaitStdout("second", Duration.ofSeconds(60));

        assertThat(tethersOn(socket)).as("the same single tether").isEqualTo(before);
        assertThat(Files.readString(log())).as("no second start in the log").containsOnlyOnce("listening on")
                .doesNotContain("already running");
        assertThat(Engine.inspect(name).at("/Config/Labels").path(TetherLabels.INSTANCE).asText())
                .startsWith(before.getFirst() + "-");
    }

    @Test
    void aSymlinkOnPathRunFromAnotherDirectoryFindsTheRepositoryAndExecsAllTheWay() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("tether"), Engine.root().resolve("tether"));
        String name = Engine.name("run-symlink");
        // sh execs `tether` found on PATH, which execs docker: one process from sh to the docker CLI
        Cli.Running run = launch(List.of("sh", "-c", "cd / && exec tether \"$@\"", "sh",
                        "run", "--socket", socket.toString(), "--", Cli.NEW, "run", "-i", "--rm", "--network", "none",
                        "--label", Engine.labelArg(), "--name", name, Engine.TEST_IMAGE, "cat"),
                Map.of("PATH", bin + ":" + System.getenv("PATH")));

        run.write("via the symlink\n");
        run.awaitStdout("via the symlink", START);

        JsonNode labels = Engine.inspect(name).at("/Config/Labels");
        assertThat(labels.path(TetherLabels.OWNER_PID).asText()).isEqualTo(Long.toString(run.pid()));
        assertThat(labels.path(TetherLabels.HOST_PID).asText()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
        assertThat(tethersOn(socket)).hasSize(1);
    }

    @Test
    void aStaleSocketFileFromACrashedTetherIsNotTakenForARunningOne() throws Exception {
        try (var stale = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            stale.bind(java.net.UnixDomainSocketAddress.of(socket)); // closing leaves the file behind, as a crash does
        }
        Cli.Running run = run(Engine.name("run-stale"));
        run.write("after a crash\n");
        run.awaitStdout("after a crash", START);
        assertThat(tethersOn(socket)).hasSize(1);
    }

    /**
     * The instant between a new tether taking the lock and replacing the socket file a crashed tether left: lock held
     * and socket file there, yet nothing answers. The test holds the lock itself for as long as it likes, as that new
     * tether holds it for an instant, so the instant cannot be missed.
     */
    @Test
    void aLockTakenBeforeACrashedTethersSocketIsReplacedIsWaitedOutNotTakenForAServedSocket() throws Exception {
        Cli.Result started = launch(List.of("run", "--socket", socket.toString(), "--", "true")).await(START);
        assertThat(started.exitCode()).as(started.toString()).isZero();
        long crashed = tethersOn(socket).getFirst();
        ProcessHandle crash = ProcessHandle.of(crashed).orElseThrow();
        crash.destroyForcibly(); // SIGKILL: no clean-up
        crash.onExit().get(30, TimeUnit.SECONDS);
        Path lock = dir.resolve("docker.sock.lock");
        assertThat(Files.exists(socket)).as("the crashed tether's socket file").isTrue();
        assertThat(Files.readString(lock)).as("the crashed tether's line").startsWith(crashed + " serving ");

        int held = Libc.tryExclusiveFlock(lock);
        assertThat(held).as("the lock, free since the crash").isNotNegative();
        Cli.Running run;
        try {
            run = launch(List.of("run", "--socket", socket.toString(), "--",
                    Cli.NEW, "version", "--format", "{{.Server.Version}}"));
            // It waits for a tether to serve once it holds the start lock; having exec'd the docker CLI, it never would.
            Path startLock = dir.resolve("docker.sock.start.lock");
            TetherExtension.awaitValue(() -> heldByOther(startLock) ? 1 : 0, 1,
                    "`tether run` waiting for a tether (holding " + startLock + ")", START);
            assertThat(run.isAlive()).as("`tether run` waits; its docker CLI has not run. " + run.stderrSoFar()).isTrue();
        } finally {
            Libc.unlock(held); // the "new tether" is gone: the run starts one of its own
        }

        Cli.Result result = run.await(START);
        assertThat(result.exitCode()).as("the docker CLI reached a tether, not the stale socket: " + result).isZero();
        assertThat(result.out().strip()).isNotEmpty();
        List<Long> tethers = tethersOn(socket);
        assertThat(tethers).hasSize(1).doesNotContain(crashed);
        assertThat(Files.readString(lock)).startsWith(tethers.getFirst() + " serving ");
    }

    @Test
    void somethingAnsweringOnTheSocketWithoutTheLockIsUsedAsAnOlderTether() throws Exception {
        try (ServerSocketChannel older = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            older.bind(UnixDomainSocketAddress.of(socket)); // it listens, and holds no lock

            Cli.Result result = launch(List.of("run", "--socket", socket.toString(), "--",
                    "sh", "-c", "printf %s \"$DOCKER_HOST\"")).await(START);

            assertThat(result.exitCode()).as(result.toString()).isZero();
            assertThat(result.out()).isEqualTo("unix://" + socket);
            assertThat(result.stderr()).contains(socket + " answers but no tether holds " + socket + ".lock");
            assertThat(Files.readString(log())).as("the tether it started, refused with its own exit code")
                    .contains("another process is already listening on " + socket);
            assertThat(tethersOn(socket)).isEmpty();
        }
    }

    @Test
    void aCommandThatIsNotThereFailsLikeExecAndStillLeavesOneTether() throws Exception {
        Cli.Running run = launch(List.of("run", "--socket", socket.toString(), "--", "/nonexistent/command"));
        Cli.Result result = run.await(START);
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(127);
        assertThat(result.stderr()).contains("/nonexistent/command");
        assertThat(tethersOn(socket)).hasSize(1);
    }

    @Test
    void aRunWhileTheTetherDrainsWaitsForItToGoThenStartsANewOne() throws Exception {
        Cli.Running session = run(Engine.name("run-draining"));
        session.write("open\n");
        session.awaitStdout("open", START);
        long old = tethersOn(socket).getFirst();
        ProcessHandle.of(old).orElseThrow().destroy(); // SIGTERM: the open session keeps it draining for up to 10 s
        // Its drain has begun once the socket file is gone (a client racing the signal itself fails as with any
        // tether that stops under it); from then on it holds the lock but serves nobody new.
        TetherExtension.awaitValue(() -> Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? 1 : 0, 0,
                "the socket file of the draining tether", Duration.ofSeconds(30));
        assertThat(ProcessHandle.of(old).map(ProcessHandle::isAlive)).as("draining, not gone").contains(true);

        String name = Engine.name("run-after");
        Cli.Running after = run(name);
        after.write("after\n");
        after.awaitStdout("after", START);

        String instance = Engine.inspect(name).at("/Config/Labels").path(TetherLabels.INSTANCE).asText();
        assertThat(instance).as("created through a new tether").doesNotStartWith(old + "-");
        long now = Long.parseLong(instance.substring(0, instance.indexOf('-')));
        assertThat(Files.readString(dir.resolve("docker.sock.lock"))).as("the new tether holds the lock and serves")
                .startsWith(now + " serving ");
        // the old one released it last, and may still be finishing its exit
        TetherExtension.awaitValue(() -> ProcessHandle.of(old).map(ProcessHandle::isAlive).orElse(false) ? 1 : 0, 0,
                "the old tether being alive", Duration.ofSeconds(30));
        assertThat(tethersOn(socket)).containsExactly(now);
        assertThat(Files.readString(log())).as("the new tether started once, when the old one had released the socket")
                .containsOnlyOnce("stopped").doesNotContain("already running").doesNotContain("already listening");
    }

    @Test
    void aTetherThatCannotStartIsReportedWithItsLogAndTheCommandNeverRuns() throws Exception {
        Path tooLong = dir.resolve("x".repeat(120) + ".sock");
        Path marker = dir.resolve("ran");

        Cli.Running run = launch(List.of("run", "--socket", tooLong.toString(), "--", "touch", marker.toString()));
        Cli.Result result = run.await(START);

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        assertThat(result.stderr()).contains("tether up on " + tooLong + " exited before serving; its log (" + log() + ")")
                .contains("longer than 107 bytes");
        assertThat(Files.exists(marker)).as("the command did not run").isFalse();
        assertThat(tethersOn(tooLong)).isEmpty();
    }

    /** Someone else holds an exclusive or shared lock on {@code file}. */
    private static boolean heldByOther(Path file) {
        try {
            int fd = Libc.tryExclusiveFlock(file);
            if (fd < 0) {
                return true;
            }
            Libc.unlock(fd);
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path log() {
        return dir.resolve("state/tether/tether.log");
    }

    /** {@code tether run --socket S -- docker run -i --rm … cat}, its stdin a pipe this test writes to. */
    private Cli.Running run(String name) {
        return launch(List.of("run", "--socket", socket.toString(), "--",
                Cli.NEW, "run", "-i", "--rm", "--network", "none", "--label", Engine.labelArg(), "--name", name,
                Engine.TEST_IMAGE, "cat"));
    }

    private Cli.Running launch(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Engine.root().resolve("tether").toString());
        command.addAll(args);
        return launch(command, Map.of());
    }

    private Cli.Running launch(List<String> command, Map<String, String> extraEnv) {
        var pb = new ProcessBuilder(command).directory(dir.toFile());
        var env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_"));
        env.put("DOCKER_HOST", Engine.endpoint().uri()); // the engine, for the tether that run starts
        env.put("DOCKER_CONFIG", dockerConfig.toString());
        env.put("DOCKER_CLI_HINTS", "false");
        env.put("XDG_STATE_HOME", dir.resolve("state").toString());
        env.putAll(extraEnv);
        try {
            Cli.Running r = new Cli.Running(String.join(" ", command), pb.start());
            runs.add(r);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tether processes serving {@code socket}: JVMs running {@code up --socket socket}. */
    static List<Long> tethersOn(Path socket) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> {
                        List<String> args = Processes.commandLine(Long.parseLong(p.getFileName().toString()));
                        int up = args.indexOf("up");
                        return up > 0 && args.get(0).endsWith("/java")
                                && args.subList(up, args.size()).containsAll(List.of("--socket", socket.toString()));
                    })
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
