package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.labeler.TetherLabels;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Stdio sessions an MCP host starts through a wrapper that does not exec: the host's child is a shell, {@code timeout}
 * or node, and the docker CLI is that wrapper's child. SIGKILL to the host leaves wrapper and CLI running, reparented,
 * the CLI's stdin merely at its end, and a server that ignores both that and SIGTERM: only the reaper ends it, because
 * the host is among the CLI's recorded ancestors ({@code dev.tether.ancestors}). A second host's session, started the
 * same way, runs on.
 */
@Timeout(180)
class ReapWrappersIT {

    private static Path dir;
    private static ReapKit.Tether tether;

    private final List<ReapHost> hosts = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "reap-w");
        tether = ReapKit.Tether.up(dir.resolve("d.sock"));
    }

    @AfterEach
    void endTheTestsProcesses() {
        hosts.forEach(h -> Engine.remove(h.name));
        hosts.forEach(ReapHost::close);
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("ReapWrappersIT", dir, tether);
    }

    /** A way to start {@code docker run …} that stays between the host and the CLI. */
    record Wrapper(String shape, UnaryOperator<List<String>> wrap) {
        @Override
        public String toString() {
            return shape;
        }
    }

    static Stream<Wrapper> wrappers() {
        return Stream.of(
                // "$0" "$@" runs the docker command as given; "; true" after it keeps the shell from exec'ing it
                new Wrapper("sh -c \"docker run …; true\"", run -> concat(List.of("sh", "-c", "\"$0\" \"$@\"; true"), run)),
                new Wrapper("bash -lc 'docker run …; true'", run -> concat(List.of("bash", "-lc", "\"$0\" \"$@\"; true"), run)),
                new Wrapper("timeout 600 docker run …", run -> concat(List.of("timeout", "600"), run)),
                new Wrapper("node -e spawn(docker, {stdio: inherit})", run -> concat(List.of("node", "-e",
                        "const c = require('child_process').spawn(process.argv[1], process.argv.slice(2), {stdio: 'inherit'});"
                                + " c.on('exit', code => process.exit(code ?? 1));"), run)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wrappers")
    void aKilledHostEndsTheSessionItStartedThroughAWrapper(Wrapper wrapper) {
        Cli.requireInstalled(Cli.NEW);
        Launch control = launch(wrapper, "wrapped-control");
        Launch victim = launch(wrapper, "wrapped-host-killed");

        long death = System.nanoTime();
        ReapKit.sigkill(victim.host.hostHandle);
        assertThat(victim.host.cliHandle.isAlive()).as("the wrapper survives its host (reparented)").isTrue();
        // The docker CLI may live on too, or die of the pipe its host held: whichever, the reap below must name the
        // host, not the CLI, so it is the host rule that ended the session.

        ReapKit.awaitGoneWithin(victim.host.name, death, GRACE.plus(SLACK), "(W) host SIGKILL, CLI under " + wrapper);
        assertThat(tether.awaitReaped(victim.host.name)).contains("its host exited (pid " + victim.host.hostPid() + ")");

        assertThat(Engine.running(Engine.inspect(control.host.name))).as("the living host's container still runs").isTrue();
        assertThat(control.cli.isAlive()).isTrue();
        control.host.command("send");
        control.host.await("ECHO got ping");
    }

    /** A host's session through {@code wrapper}, and the docker CLI below it. */
    private record Launch(ReapHost host, ProcessHandle cli) {}

    private Launch launch(Wrapper wrapper, String purpose) {
        String name = Engine.name(purpose);
        ReapHost h = ReapHost.launch(tether.socket, name, wrapper.wrap().apply(ReapHost.dockerRun(Cli.NEW, name)));
        hosts.add(h);
        JsonNode labels = Engine.inspect(h.name).at("/Config/Labels");
        long cliPid = Long.parseLong(labels.path(TetherLabels.OWNER_PID).asText());
        ProcessHandle cli = ProcessHandle.of(cliPid).orElseThrow(() -> new AssertionError("the CLI is gone: " + labels));
        assertThat(cli.info().command()).as(labels.toString()).hasValue(Cli.NEW);
        assertThat(cli.parent().map(ProcessHandle::pid)).as("the CLI is the wrapper's child").hasValue(h.cliPid());
        assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("session");
        assertThat(labels.path(TetherLabels.HOST_PID).asText()).as("the host label is the CLI's parent, the wrapper")
                .isEqualTo(Long.toString(h.cliPid()));
        assertThat(labels.path(TetherLabels.ANCESTORS).asText()).as("wrapper, then the host, a session leader: the stop")
                .isEqualTo(h.cliPid() + "-" + ReapKit.startTicks(h.cliPid()) + "," + h.hostPid() + "-"
                        + ReapKit.startTicks(h.hostPid()));
        return new Launch(h, cli);
    }

    private static List<String> concat(List<String> wrapper, List<String> run) {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(run);
        return command;
    }
}
