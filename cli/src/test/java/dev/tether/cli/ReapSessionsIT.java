package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.labeler.TetherLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/**
 * Stdio MCP sessions ({@code docker run -i --rm}, tie=session) through a real {@code tether up} process, with a
 * server that ignores both the end of its stdin and SIGTERM: only the reaper's stop (SIGTERM, grace, SIGKILL) ends
 * it. Each case ends one session in the way an MCP host does, measures the time from the death to the container's
 * removal, and checks that the session of a second, living host, started alongside, still runs.
 */
@Timeout(120)
class ReapSessionsIT {

    private static Path dir;
    private static ReapKit.Tether tether;

    private final List<ReapHost> hosts = new ArrayList<>();
    private final List<Cli.Running> clis = new ArrayList<>();
    private final List<ReapKit.Tether> extraTethers = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "reap-s");
        tether = ReapKit.Tether.up(dir.resolve("d.sock"));
    }

    @AfterEach
    void endTheTestsProcesses() {
        // containers first: a living client's container would otherwise be reaped by its clients' deaths below
        hosts.forEach(h -> Engine.remove(h.name));
        hosts.forEach(ReapHost::close);
        clis.forEach(Cli.Running::close);
        extraTethers.forEach(ReapKit.Tether::close);
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("ReapSessionsIT", dir, tether);
    }

    static Stream<String> clis() {
        return Cli.binaries();
    }

    // ---------------------------------------------------------------- (1) an MCP host's session ends

    @ParameterizedTest(name = "{0}")
    @MethodSource("clis")
    void aKilledHostEndsItsSessionThoughTheOrphanedCliLivesOn(String cli) {
        Cli.requireInstalled(cli);
        ReapHost control = host(cli, "control");
        ReapHost victim = host(cli, "host-killed");

        long death = System.nanoTime();
        ReapKit.sigkill(victim.hostHandle);
        assertThat(victim.cliHandle.isAlive()).as("the CLI survives its host (reparented)").isTrue();

        ReapKit.awaitGoneWithin(victim.name, death, GRACE.plus(SLACK), "(1a) MCP host SIGKILL, CLI orphaned [" + cli + "]");
        assertThat(tether.awaitReaped(victim.name)).contains("its host exited (pid " + victim.hostPid() + ", bash)");
        assertLivingSessionUntouched(control);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clis")
    void aKilledCliEndsItsSession(String cli) {
        Cli.requireInstalled(cli);
        ReapHost control = host(cli, "control");
        ReapHost victim = host(cli, "cli-killed");

        long death = System.nanoTime();
        ReapKit.sigkill(victim.cliHandle);

        ReapKit.awaitGoneWithin(victim.name, death, GRACE.plus(SLACK), "(1b) docker CLI SIGKILL [" + cli + "]");
        // the CLI's death and the end of its attach stream race to tell tether: either reason is right
        String reaped = tether.awaitReaped(victim.name);
        assertThat(reaped).containsAnyOf("its owner exited (pid " + victim.cliPid() + ", docker)",
                "its stdin session ended (pid " + victim.cliPid() + ", docker)");
        System.out.println("[reap-reason] (1b) " + cli + ": " + reaped.substring(reaped.indexOf("): ") + 3));
        assertThat(victim.hostHandle.isAlive()).as("the host lives on").isTrue();
        assertLivingSessionUntouched(control);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clis")
    void aHangupOfTheWholeProcessGroupEndsTheSession(String cli) throws Exception {
        Cli.requireInstalled(cli);
        ReapHost control = host(cli, "control");
        ReapHost victim = host(cli, "hangup");
        assertThat(ReapKit.processGroup(victim.cliPid())).as("host and CLI share a process group, led by the host")
                .isEqualTo(victim.hostPid());

        long death = System.nanoTime();
        ReapKit.signalGroup(victim.hostPid(), "HUP"); // the terminal that ran the host closed

        ReapKit.awaitGoneWithin(victim.name, death, GRACE.plus(SLACK), "(1c) SIGHUP to host's process group [" + cli + "]");
        String reaped = tether.awaitReaped(victim.name);
        assertThat(reaped).containsAnyOf("its host exited (pid " + victim.hostPid(), "its owner exited (pid " + victim.cliPid(),
                "its stdin session ended (pid " + victim.cliPid());
        System.out.println("[reap-reason] (1c) " + cli + ": " + reaped.substring(reaped.indexOf("): ") + 3));
        assertLivingSessionUntouched(control);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clis")
    void theMcpShutdownSequenceEndsAServerThatIgnoresEofAndSigterm(String cli) {
        Cli.requireInstalled(cli);
        ReapHost control = host(cli, "control");
        ReapHost victim = host(cli, "mcp-shutdown");
        victim.command("send");
        victim.await("ECHO got ping");

        // close stdin, wait, SIGTERM, wait: the server ignores both, and the docker CLI passes SIGTERM on to it
        victim.command("shutdown");
        victim.await("ALIVE-AFTER-TERM");
        assertThat(victim.output()).contains("ALIVE-AFTER-EOF");
        assertThat(Engine.running(Engine.inspect(victim.name)))
                .as("a half-closed stdin and a SIGTERM the CLI forwards end no session").isTrue();

        long death = System.nanoTime();
        victim.command("kill");
        victim.await("KILLED");

        ReapKit.awaitGoneWithin(victim.name, death, GRACE.plus(SLACK), "(1d) MCP shutdown: EOF, SIGTERM, SIGKILL [" + cli + "]");
        assertThat(tether.awaitReaped(victim.name)).containsAnyOf("its owner exited (pid " + victim.cliPid(),
                "its stdin session ended (pid " + victim.cliPid());
        assertLivingSessionUntouched(control);
    }

    // ---------------------------------------------------------------- (7) another client's attach is no session

    @Test
    void anotherProcessesAttachEndingLeavesTheSessionRunning() {
        Cli.requireInstalled(Cli.NEW);
        Cli.requireInstalled(Cli.OLD);
        String name = Engine.name("attached-twice");
        Cli.Running owner = cli(Cli.NEW).start(sessionArgs(name));
        clis.add(owner);
        owner.awaitStdout("ready", Duration.ofSeconds(60));

        Cli.Running attacher = cli(Cli.OLD).start("attach", name);
        clis.add(attacher);
        attacher.write("from-the-attacher\n");
        attacher.awaitStdout("got from-the-attacher", Duration.ofSeconds(20)); // the second attach carries stdin
        assertThat(owner.stdoutSoFar()).contains("got from-the-attacher");

        ReapKit.sigkill(attacher.process().toHandle());
        ReapKit.assertStaysRunning(name, GRACE.plus(SLACK), "(7) a second attach killed");
        System.out.println("[reap-timing] (7) second `docker attach` SIGKILL: still running " + GRACE.plus(SLACK).toMillis()
                + " ms later, as it must be");

        // the reaper was listening all along: the owner's own end reaps
        long death = System.nanoTime();
        ReapKit.sigkill(owner.process().toHandle());
        ReapKit.awaitGoneWithin(name, death, GRACE.plus(SLACK), "(7) then the owner CLI SIGKILL");
    }

    // ---------------------------------------------------------------- (8) the container's own stop timeout

    @Test
    void aContainersOwnStopTimeoutWinsOverTethersGrace() throws IOException {
        Cli.requireInstalled(Cli.NEW);
        ReapKit.Tether patient = ReapKit.Tether.up(dir.resolve("g.sock"), "--grace", "10s");
        extraTethers.add(patient);
        String control = Engine.name("control");
        Cli.Running living = new Cli(Cli.NEW, patient.socket).start(sessionArgs(control));
        clis.add(living);
        living.awaitStdout("ready", Duration.ofSeconds(60));

        String name = Engine.name("stop-timeout");
        List<String> args = new ArrayList<>(List.of(sessionArgs(name)));
        args.add(1, "--stop-timeout=1");
        Cli.Running owner = new Cli(Cli.NEW, patient.socket).start(args.toArray(String[]::new));
        clis.add(owner);
        owner.awaitStdout("ready", Duration.ofSeconds(60));
        assertThat(Engine.inspect(name).at("/Config/StopTimeout").asInt()).isEqualTo(1);
        JsonNode controlBefore = Engine.inspect(control);

        long death = System.nanoTime();
        ReapKit.sigkill(owner.process().toHandle());

        ReapKit.awaitGoneWithin(name, death, Duration.ofSeconds(1).plus(SLACK), "(8) --stop-timeout 1 under --grace 10s");
        patient.awaitReaped(name);
        ReapKit.assertUntouched(control, controlBefore, "(8) a living CLI's session");
        Engine.remove(control);
    }

    // ---------------------------------------------------------------- helpers

    private ReapHost host(String cli, String purpose) {
        ReapHost h = ReapHost.start(cli, tether.socket, Engine.name(purpose));
        hosts.add(h);
        JsonNode labels = Engine.inspect(h.name).at("/Config/Labels");
        assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("session");
        assertThat(labels.path(TetherLabels.OWNER_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(h.cliPid()));
        assertThat(labels.path(TetherLabels.HOST_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(h.hostPid()));
        assertThat(labels.path(TetherLabels.INSTANCE).asText()).as(labels.toString()).isEqualTo(tether.instance());
        return h;
    }

    private Cli cli(String binary) {
        return new Cli(binary, tether.socket);
    }

    private static String[] sessionArgs(String name) {
        return new String[] {"run", "-i", "--rm", "--name", name, "--label", Engine.labelArg(), "--network", "none",
                Engine.TEST_IMAGE, "sh", "-c", ReapKit.STUBBORN_SERVER};
    }

    /** The living host's session: its container runs, and its host and CLI are alive and still served. */
    private static void assertLivingSessionUntouched(ReapHost control) {
        assertThat(Engine.running(Engine.inspect(control.name))).as("the living host's container still runs").isTrue();
        assertThat(control.hostHandle.isAlive()).isTrue();
        assertThat(control.cliHandle.isAlive()).isTrue();
        control.command("send");
        control.await("ECHO got ping");
    }
}
