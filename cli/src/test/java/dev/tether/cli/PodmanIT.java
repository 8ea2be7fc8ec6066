package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.docker.PodmanService;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
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
 * tether in front of Podman's Docker API ({@code podman system service}, a private one): the leak cases that matter,
 * run against the real thing. Where Podman differs and tether must not: it names Docker's {@code destroy} event
 * {@code remove}, and it reports {@code StopTimeout: 0} for a container whose client set none (its own stop then
 * kills at once), which must not make a reap ungraceful.
 */
@Timeout(300)
class PodmanIT {

    private static Path dir;
    private static PodmanService podman;
    private static ReapKit.Tether tether;

    private final List<ReapHost> hosts = new ArrayList<>();
    private final List<Cli.Running> clients = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage(); // the service loads it from the machine's engine
        dir = Files.createTempDirectory(Path.of("/tmp"), "podman-it");
        podman = PodmanService.start(Duration.ofSeconds(60));
        tether = ReapKit.Tether.up(dir.resolve("d.sock"), "--upstream", podman.uri(),
                "--audit-log", dir.resolve("audit.jsonl").toString());
    }

    @AfterEach
    void endTheTestsProcesses() {
        hosts.forEach(ReapHost::close);
        clients.forEach(Cli.Running::close);
    }

    @AfterAll
    static void down() {
        try {
            ReapKit.tearDown("PodmanIT", dir, tether);
        } finally {
            if (podman != null) {
                podman.close();
            }
        }
    }

    @Test
    void aStubbornSessionWhoseHostIsKilledIsReapedAfterTethersGraceAndJournaledToItsDestroy() throws IOException {
        Cli.requireInstalled(Cli.NEW);
        ReapHost control = host("podman-control");
        ReapHost victim = host("podman-victim");

        long death = System.nanoTime();
        ReapKit.sigkill(victim.hostHandle);

        Duration took = ReapKit.awaitGoneWithin(podman.socket(), victim.name, death, GRACE.plus(SLACK),
                "(Podman) host SIGKILL, server ignores SIGTERM");
        assertThat(took).as("SIGTERM, then tether's grace, then SIGKILL: not Podman's StopTimeout 0").isGreaterThanOrEqualTo(GRACE);
        assertThat(tether.awaitReaped(victim.name)).contains("its host exited (pid " + victim.hostPid() + ", bash)");
        assertThat(podman.cli().status(control.name)).as("the living host's server").isEqualTo("running");
        control.command("send");
        control.await("ECHO got ping");

        String id = journalId(victim.name);
        awaitJournal("\"container\":\"" + id + "\",\"event\":\"destroy\"");
        assertThat(Files.readString(dir.resolve("audit.jsonl")))
                .contains("\"container\":\"" + id + "\",\"event\":\"reap\",\"reason\":\"host-exit\",\"graceSeconds\":" + GRACE.toSeconds());
    }

    @Test
    void aDockerPyProcessKilledLosesTheContainerItCreated() throws IOException {
        String name = Engine.name("podman-owner");
        Cli.Running owner = ReapKit.dockerPyOwner(tether.socket, name);
        clients.add(owner);
        assertThat(podman.cli().docker("inspect", "--format", "{{index .Config.Labels \"dev.tether.tie\"}}", name))
                .as("an SDK client's detached container").isEqualTo("owner");

        long death = System.nanoTime();
        ReapKit.sigkill(owner.process().toHandle());

        // sleep as PID 1 ignores SIGTERM too: tether's grace, then SIGKILL
        ReapKit.awaitGoneWithin(podman.socket(), name, death, GRACE.plus(SLACK), "(Podman) docker-py owner SIGKILL");
        assertThat(tether.awaitReaped(name)).contains("its owner exited (pid " + owner.pid() + ", python3");
    }

    @Test
    void aSweepWithNoTetherRunningReapsWhatDiedMeanwhile() throws IOException {
        Cli.requireInstalled(Cli.NEW);
        Path socket = dir.resolve("s.sock");
        ReapKit.Tether gone = ReapKit.Tether.up(socket, "--upstream", podman.uri(), "--audit-log", dir.resolve("s.jsonl").toString());
        ReapHost host = ReapHost.start(Cli.NEW, socket, Engine.name("podman-swept"));
        hosts.add(host);
        gone.sigkill(); // a crashed tether: nothing watches the session any more
        ReapKit.sigkill(host.hostHandle);
        host.cliHandle.destroyForcibly();
        assertThat(podman.cli().status(host.name)).as("no tether, so nothing ended it").isEqualTo("running");

        Cli.Result sweep = ReapKit.sweepOn(podman.uri(), "--grace", "1s");

        assertThat(sweep.exitCode()).as(sweep.toString()).isZero();
        assertThat(sweep.out()).contains(host.name);
        assertThat(ReapKit.find(podman.socket(), host.name)).as("stopped and removed by the sweep").isEmpty();
    }

    private ReapHost host(String purpose) {
        ReapHost h = ReapHost.start(Cli.NEW, tether.socket, Engine.name(purpose));
        hosts.add(h);
        return h;
    }

    private static String journalId(String name) throws IOException {
        return Files.readString(dir.resolve("audit.jsonl")).lines()
                .filter(l -> l.contains("\"event\":\"create\"") && l.contains("\"name\":\"" + name + "\""))
                .map(l -> l.replaceAll(".*\"container\":\"([0-9a-f]+)\".*", "$1")).findFirst()
                .orElseThrow(() -> new AssertionError("no create of " + name + " in the journal"));
    }

    private static void awaitJournal(String fragment) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.readString(dir.resolve("audit.jsonl")).contains(fragment)) {
            assertThat(System.nanoTime()).as("%s in the journal:\n%s", fragment, Files.readString(dir.resolve("audit.jsonl")))
                    .isLessThan(deadline);
            ReapKit.pause(50);
        }
    }
}
