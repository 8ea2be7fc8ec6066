package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/** {@code ./tether up} as a user runs it: the launcher, the real jar, a real process and real signals. */
@Timeout(120)
class TetherCommandIT {

    private Path dir;
    private Path socket;
    private final List<Launched> launched = new ArrayList<>();

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-cmd");
        socket = dir.resolve("docker.sock");
    }

    @AfterEach
    void stopAll() throws IOException {
        for (Launched l : launched) {
            // descendants first: under unshare, tether is the launcher's child and outlives it otherwise
            l.process.descendants().forEach(ProcessHandle::destroyForcibly);
            l.process.destroyForcibly();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void upPrintsTheExportLineAndServesDockerOnAPrivateSocket() throws Exception {
        Launched tether = up("--socket", socket.toString());

        assertThat(tether.awaitStdout("export DOCKER_HOST=")).isEqualTo("export DOCKER_HOST=unix://" + socket);
        assertThat(mode(socket)).isEqualTo("rw-------");
        Cli.Result version = docker("version", "--format", "{{.Server.Version}}");
        assertThat(version.exitCode()).as(version.toString()).isZero();
        assertThat(version.out().strip()).isNotEmpty();
    }

    @Test
    void aSocketGroupMakesTheSocketGroupReadableAndWritable() throws Exception {
        Launched tether = up("--socket", socket.toString(), "--socket-group", "daemon");
        tether.awaitStdout("export DOCKER_HOST=");

        assertThat(mode(socket)).isEqualTo("rw-rw----");
        assertThat(Files.getAttribute(socket, "posix:group", LinkOption.NOFOLLOW_LINKS).toString()).isEqualTo("daemon");
    }

    @Test
    void aStaleSocketFromACrashIsReplaced() throws Exception {
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(socket)); // closing leaves the file behind, as a crash does
        }
        assertThat(Files.exists(socket)).isTrue();

        up("--socket", socket.toString()).awaitStdout("export DOCKER_HOST=");

        assertThat(docker("version").exitCode()).isZero();
    }

    @Test
    void aSecondTetherOnALiveSocketRefusesAndLeavesTheFirstServing() throws Exception {
        up("--socket", socket.toString()).awaitStdout("export DOCKER_HOST=");

        Launched second = up("--socket", socket.toString());
        assertThat(second.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(second.process.exitValue()).as("the exit code for a socket another tether serves")
                .isEqualTo(Up.ALREADY_SERVED);
        assertThat(second.stderr()).contains("is already running on " + socket);
        assertThat(docker("version").exitCode()).isZero();
    }

    @Test
    void twoTethersStartedAtOnceOnOneSocketNeverBothServe() throws Exception {
        Launched one = up("--socket", socket.toString());
        Launched two = up("--socket", socket.toString());

        // exactly one of them exits, refused; the other serves
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (one.process.isAlive() && two.process.isAlive() && System.nanoTime() < deadline) {
            Engine.pause();
        }
        Launched refused = one.process.isAlive() ? two : one;
        Launched serving = refused == one ? two : one;
        assertThat(refused.process.waitFor(10, TimeUnit.SECONDS)).as("one of the two exits").isTrue();
        assertThat(refused.process.exitValue()).isEqualTo(Up.ALREADY_SERVED);
        assertThat(refused.stderr()).contains("another tether (pid ").contains("is already running on " + socket);
        serving.awaitStdout("export DOCKER_HOST=");
        assertThat(serving.process.isAlive()).isTrue();
        assertThat(Files.readString(dir.resolve("docker.sock.lock")))
                .as("the lock file names the serving tether").startsWith(serving.process.pid() + " serving ");
        assertThat(docker("version").exitCode()).isZero();
    }

    @Test
    void aFileThatIsNotASocketIsNeverReplaced() throws Exception {
        Files.writeString(socket, "precious");

        Launched tether = up("--socket", socket.toString());
        assertThat(tether.process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(tether.process.exitValue()).isEqualTo(1);
        assertThat(tether.stderr()).contains("exists and is not a socket");
        assertThat(Files.readString(socket)).isEqualTo("precious");
    }

    @Test
    void aSocketPathTooLongForUnixSocketsIsRefusedWithTheLimit() throws Exception {
        Path longPath = dir.resolve("x".repeat(120) + ".sock");

        Launched tether = up("--socket", longPath.toString());
        assertThat(tether.process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(tether.process.exitValue()).isEqualTo(1);
        assertThat(tether.stderr()).contains("longer than 107 bytes");
    }

    @Test
    void sigtermClosesOpenConnectionsAndRemovesTheSocket() throws Exception {
        Launched tether = up("--socket", socket.toString());
        tether.awaitStdout("export DOCKER_HOST=");
        try (SocketChannel idle = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            // SIGTERM through the handle: Process.destroy() would also close our end of tether's stderr
            tether.process.toHandle().destroy();

            assertThat(tether.process.waitFor(30, TimeUnit.SECONDS)).as("tether exits on SIGTERM").isTrue();
            assertThat(idle.read(java.nio.ByteBuffer.allocate(1))).as("the open connection is closed").isEqualTo(-1);
        }
        assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(tether.stderr()).contains("stopping");
        assertThat(Files.readString(dir.resolve("docker.sock.lock"))).as("no longer says serving")
                .isEqualTo(tether.process.pid() + "\n");
    }

    @Test
    void aDockerHostPointingAtTetherItselfFallsBackToTheEngineSocket() throws Exception {
        Launched tether = up(List.of("DOCKER_HOST=unix://" + socket), "--socket", socket.toString());
        tether.awaitStdout("export DOCKER_HOST=");

        assertThat(tether.stderr()).contains("relaying to unix:///var/run/docker.sock");
        assertThat(docker("version").exitCode()).isZero();
    }

    @Test
    void aClientTetherCannotSeeIsStillServedAndLabelledWithPidZero() throws Exception {
        // tether in a PID namespace of its own sees every client's pid as 0, as a containerised tether does
        Launched tether = launch(List.of("unshare", "--pid", "--fork", "--mount-proc",
                Engine.root().resolve("tether").toString(), "up", "--socket", socket.toString()), List.of());
        tether.awaitStdout("export DOCKER_HOST=");

        Cli.Result run = docker("run", "-d", "--network", "none", "--label", Engine.labelArg(), Engine.TEST_IMAGE, "true");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        String id = run.out().strip();
        var labels = Engine.inspect(id).at("/Config/Labels");
        assertThat(labels.path("dev.tether.owner.pid").asText()).isEqualTo("0");
        assertThat(labels.path("dev.tether.tie").asText()).as("nothing to tie to").isEqualTo("none");
        Cli.Result again = docker("run", "-d", "--network", "none", "--label", Engine.labelArg(), Engine.TEST_IMAGE, "true");
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(tether.stderr()).as("said once, naming the socket and the fix")
                .containsOnlyOnce("another PID namespace")
                .contains("a client of " + socket + " has pid 0")
                .contains("never tied to a process nor reaped")
                .contains("--pid=host");
    }

    private Cli.Result docker(String... args) {
        return new Cli(Cli.NEW, socket).run(args);
    }

    private Launched up(String... args) throws IOException {
        return up(List.of(), args);
    }

    private Launched up(List<String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Engine.root().resolve("tether").toString(), "up"));
        command.addAll(List.of(args));
        return launch(command, env);
    }

    private Launched launch(List<String> command, List<String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("DOCKER_HOST");
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Launched l = new Launched(pb.start(), true);
        launched.add(l);
        return l;
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
