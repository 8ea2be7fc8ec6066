package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.LoopbackSshd;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * tether in front of an engine reached over ssh, as the docker CLI reaches one ({@code ssh … docker system
 * dial-stdio} per connection): a real OpenSSH server on loopback ({@link LoopbackSshd}) in front of this machine's
 * engine, the system's ssh client. The owners are local processes; the engine is "remote" only through ssh, so the
 * tests can check what it holds directly.
 */
@Timeout(300)
class SshUpstreamIT {

    private static Path dir;
    private static LoopbackSshd sshd;
    private static ReapKit.Tether tether;

    private final List<ReapHost> hosts = new ArrayList<>();
    private final List<Cli.Running> clients = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "ssh-it");
        sshd = LoopbackSshd.start(Duration.ofSeconds(60));
        tether = ReapKit.Tether.start(withSsh(up(dir.resolve("d.sock"), "--upstream", sshd.uri(),
                "--audit-log", dir.resolve("audit.jsonl").toString())), dir.resolve("d.sock"));
    }

    @AfterEach
    void endTheTestsProcesses() {
        hosts.forEach(h -> Engine.remove(h.name));
        hosts.forEach(ReapHost::close);
        clients.forEach(Cli.Running::close);
    }

    @AfterAll
    static void down() {
        try {
            ReapKit.tearDown("SshUpstreamIT", dir, tether);
        } finally {
            if (sshd != null) {
                sshd.close();
            }
        }
    }

    @Test
    void theDockerCliGetsWhatTheEngineAloneGivesStreamsAndExitStatusesIncluded() {
        Cli.requireInstalled(Cli.NEW);
        assertThat(tether.log()).contains("engine: " + sshd.uri() + ", chosen by --upstream");
        Cli through = new Cli(Cli.NEW, tether.socket);
        Cli direct = new Cli(Cli.NEW, Engine.socket());
        assertThat(through.run("version", "--format", "{{.Server.Version}} {{.Server.ApiVersion}}").out())
                .isEqualTo(direct.run("version", "--format", "{{.Server.Version}} {{.Server.ApiVersion}}").out());

        String echoed = Engine.name("ssh-stdin");
        Cli.Result cat = through.run("hello over ssh\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60),
                "run", "-i", "--rm", "--network", "none", "--label", Engine.labelArg(), "--name", echoed,
                Engine.TEST_IMAGE, "cat");
        assertThat(cat.exitCode()).as(cat.toString()).isZero();
        assertThat(cat.out()).as("stdin in, stdout out, over the hijacked stream").isEqualTo("hello over ssh\n");

        Cli.Result failing = through.run("run", "--rm", "--network", "none", "--label", Engine.labelArg(),
                Engine.TEST_IMAGE, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertThat(failing.exitCode()).as(failing.toString()).isEqualTo(3);
        assertThat(failing.out()).isEqualTo("out\n");
        assertThat(failing.stderr()).contains("err\n");

        String detached = Engine.name("ssh-detached");
        Cli.Result d = through.run("run", "-d", "--network", "none", "--label", Engine.labelArg(), "--name", detached,
                Engine.TEST_IMAGE, "sleep", "600");
        assertThat(d.exitCode()).as(d.toString()).isZero();
        try {
            JsonNode labels = Engine.inspect(detached).at("/Config/Labels");
            assertThat(labels.path("dev.tether.tie").asText()).as("docker run -d outlives its CLI").isEqualTo("none");
            assertThat(labels.path("dev.tether.owner.exe").asText()).as("the owner is the local CLI").isEqualTo(Cli.NEW);
        } finally {
            Engine.remove(detached);
        }
    }

    @Test
    void aStubbornSessionWhoseHostIsKilledIsReapedOverSsh() throws IOException {
        Cli.requireInstalled(Cli.NEW);
        ReapHost control = host("ssh-control");
        ReapHost victim = host("ssh-victim");

        long death = System.nanoTime();
        ReapKit.sigkill(victim.hostHandle);

        Duration took = ReapKit.awaitGoneWithin(victim.name, death, GRACE.plus(SLACK), "(ssh) host SIGKILL, server ignores SIGTERM");
        assertThat(took).as("SIGTERM, the grace, SIGKILL").isGreaterThanOrEqualTo(GRACE);
        assertThat(tether.awaitReaped(victim.name)).contains("its host exited (pid " + victim.hostPid() + ", bash)");
        assertThat(Engine.running(Engine.inspect(control.name))).as("the living host's server").isTrue();
        control.command("send");
        control.await("ECHO got ping");
        assertThat(Files.readString(dir.resolve("audit.jsonl"))).contains("\"event\":\"reap\",\"reason\":\"host-exit\"");
    }

    @Test
    void aDockerPyProcessKilledLosesTheContainerItCreated() throws IOException {
        String name = Engine.name("ssh-owner");
        Cli.Running owner = ReapKit.dockerPyOwner(tether.socket, name);
        clients.add(owner);
        assertThat(Engine.inspect(name).at("/Config/Labels/dev.tether.tie").asText()).as("an SDK client's container")
                .isEqualTo("owner");

        long death = System.nanoTime();
        ReapKit.sigkill(owner.process().toHandle());

        ReapKit.awaitGoneWithin(name, death, GRACE.plus(SLACK), "(ssh) docker-py owner SIGKILL");
        assertThat(tether.awaitReaped(name)).contains("its owner exited (pid " + owner.pid() + ", python3");
    }

    @Test
    void aSweepOverSshWithNoTetherRunningReapsWhatDiedMeanwhile() throws IOException {
        Cli.requireInstalled(Cli.NEW);
        Path socket = dir.resolve("s.sock");
        ReapKit.Tether gone = ReapKit.Tether.start(withSsh(up(socket, "--upstream", sshd.uri(), "--audit-log",
                dir.resolve("s.jsonl").toString())), socket);
        ReapHost host = ReapHost.start(Cli.NEW, socket, Engine.name("ssh-swept"));
        hosts.add(host);
        gone.sigkill(); // a crashed tether: nothing watches the session any more
        ReapKit.sigkill(host.hostHandle);
        host.cliHandle.destroyForcibly();
        assertThat(Engine.running(Engine.inspect(host.name))).as("no tether, so nothing ended it").isTrue();

        List<String> sweep = new ArrayList<>(ReapKit.tetherCommand("sweep", "--grace", "1s", "--upstream", sshd.uri()));
        Cli.Result result = await(withSsh(new ProcessBuilder(sweep)), "tether sweep");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains(host.name);
        assertThat(ReapKit.find(Engine.socket(), host.name)).as("stopped and removed by the sweep").isEmpty();
    }

    /** ssh's own words reach the client as Docker's JSON error, and the rule that chose the engine is said. */
    @Test
    void anSshThatCannotConnectAnswersTethersErrorWithSshsWords() throws IOException {
        int closed = closedPort();
        String uri = "ssh://root@127.0.0.1:" + closed;
        Path socket = dir.resolve("x.sock");
        ProcessBuilder pb = withSsh(up(socket, "--audit-log", dir.resolve("x.jsonl").toString()));
        pb.environment().put("DOCKER_HOST", uri);
        try (ReapKit.Tether broken = ReapKit.Tether.start(pb, socket)) {
            assertThat(broken.log()).contains("engine: " + uri + ", chosen by DOCKER_HOST");
            Cli.Result version = new Cli(Cli.NEW, socket).run("version", "--format", "{{.Server.Version}}");
            assertThat(version.exitCode()).isNotZero();
            assertThat(version.stderr()).contains("tether: ssh to " + uri + " failed (exit 255): ")
                    .contains("port " + closed + ": Connection refused")
                    .contains("check that `ssh root@127.0.0.1 -p " + closed + " docker version` works for this user");
        }
    }

    // ---------------------------------------------------------------- the kit

    private ReapHost host(String purpose) {
        ReapHost h = ReapHost.start(Cli.NEW, tether.socket, Engine.name(purpose));
        hosts.add(h);
        return h;
    }

    /** {@code tether up --socket SOCKET ARGS}, no DOCKER_ variables. */
    private static ProcessBuilder up(Path socket, String... args) {
        List<String> command = new ArrayList<>(ReapKit.tetherCommand("up", "--socket", socket.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        return pb;
    }

    /** The test server's ssh first on PATH: the one tether runs, as a user's ssh with their own config would be. */
    private static ProcessBuilder withSsh(ProcessBuilder pb) {
        pb.environment().put("PATH", sshd.sshProgram().getParent() + ":" + pb.environment().getOrDefault("PATH", "/usr/bin:/bin"));
        return pb;
    }

    private static Cli.Result await(ProcessBuilder pb, String what) throws IOException {
        try (Cli.Running running = new Cli.Running(what, pb.start())) {
            Cli.Result result = running.await(Duration.ofSeconds(60));
            System.out.println("[" + what + "]\n" + result.out().strip());
            return result;
        }
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort(); // closed again when this returns: nothing listens there
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
