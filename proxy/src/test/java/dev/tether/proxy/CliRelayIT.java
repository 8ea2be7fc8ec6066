package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The everyday docker commands, run by the real docker CLIs (28.x and 20.10) through tether: attach and exec
 * hijacks with and without stdin or a tty, exit codes, detach, errors on hijack routes, and the streaming commands.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliRelayIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static final Duration QUICK = Duration.ofSeconds(30);

    /** A running container for the exec cases. */
    private static String sleeper;
    private static String sleeperName;

    @BeforeAll
    static void startSleeper() {
        sleeperName = Engine.name("sleeper");
        sleeper = Engine.runDetached(sleeperName, "sleep", "600");
    }

    /** {@code docker run} arguments that every container of this suite carries. */
    private static String[] run(String... rest) {
        String[] head = {"run", "--label", Engine.labelArg(), "--network", "none"};
        String[] all = new String[head.length + rest.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        return all;
    }

    // ------------------------------------------------------------------ case 1

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void execWithoutStdinStillPrintsTheCommandsOutput(String binary) {
        Cli.Result r = tether.cli(binary).run(QUICK, "exec", sleeper, "ps");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).as(r.describe()).contains("PID").contains("sleep 600");
    }

    // ------------------------------------------------------------------ case 2

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void pipedStdinReachesAnExecAndAllItsOutputComesBack(String binary) {
        Cli.Result r = tether.cli(binary).run("hi\n".getBytes(StandardCharsets.UTF_8), QUICK, "exec", "-i", sleeper, "cat");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).as(r.describe()).isEqualTo("hi\n");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void pipedStdinReachesDockerRunAndAllItsOutputComesBack(String binary) {
        Cli.Result r = tether.cli(binary).run("hi\n".getBytes(StandardCharsets.UTF_8), QUICK,
                run("-i", "--rm", Engine.TEST_IMAGE, "cat"));

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).as(r.describe()).isEqualTo("hi\n");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void aLargePipedStdinComesBackWhole(String binary) {
        var text = new StringBuilder();
        for (int i = 0; text.length() < 4 * 1024 * 1024; i++) {
            text.append("line ").append(i).append('\n');
        }
        byte[] input = text.toString().getBytes(StandardCharsets.UTF_8);

        Cli.Result r = tether.cli(binary).run(input, QUICK, run("-i", "--rm", Engine.TEST_IMAGE, "cat"));

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout().length).as("bytes echoed back").isEqualTo(input.length);
        assertThat(r.stdout()).isEqualTo(input);
    }

    // ------------------------------------------------------------------ case 3

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void interactiveRunWithATtyReturnsWithoutAnExtraKeystroke(String binary) {
        try (Cli.Running r = tether.cli(binary).startInPty(run("-it", "--rm", Engine.TEST_IMAGE, "sh", "-c", "sleep 1; echo x"))) {
            // stdin stays open and silent: the command must end by itself when the container does
            Cli.Result result = r.await(QUICK);

            assertThat(result.exitCode()).as(result.describe()).isZero();
            assertThat(result.out().replace("\r", "")).as(result.describe()).contains("x\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void interactiveExecWithATtyRunsAndReturnsTheExitCode(String binary) {
        try (Cli.Running r = tether.cli(binary).startInPty("exec", "-it", sleeper, "sh", "-c", "echo tty-says-$((6*7)); exit 7")) {
            Cli.Result result = r.await(QUICK);

            assertThat(result.exitCode()).as(result.describe()).isEqualTo(7);
            assertThat(result.out()).as(result.describe()).contains("tty-says-42");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void keystrokesReachAnInteractiveShellAndItsAnswersComeBack(String binary) {
        try (Cli.Running r = tether.cli(binary).startInPty(run("-it", "--rm", Engine.TEST_IMAGE, "sh"))) {
            r.write("echo typed-$((40+2))\n");
            r.awaitStdout("typed-42", QUICK);
            r.write("exit 9\n");
            Cli.Result result = r.await(QUICK);

            assertThat(result.exitCode()).as(result.describe()).isEqualTo(9);
        }
    }

    // ------------------------------------------------------------------ case 7

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void dockerRunReturnsTheContainersExitCodeAndKeepsStdoutAndStderrApart(String binary) {
        Cli.Result r = tether.cli(binary).run(QUICK,
                run("--rm", Engine.TEST_IMAGE, "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"));

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
        assertThat(r.out()).as(r.describe()).isEqualTo("to-stdout\n");
        assertThat(r.stderr()).as(r.describe()).contains("to-stderr").doesNotContain("to-stdout");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void dockerExecReturnsTheCommandsExitCode(String binary) {
        Cli.Result r = tether.cli(binary).run(QUICK, "exec", sleeper, "sh", "-c", "echo before-exit; exit 4");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(4);
        assertThat(r.out()).as(r.describe()).isEqualTo("before-exit\n");
    }

    // ------------------------------------------------------------------ case 10

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void containerExitEndsDockerAttachWithItsExitCode(String binary) {
        String name = Engine.name("attach-exit");
        String id = Engine.runDetached(name, "sh", "-c",
                "while [ ! -f /tmp/go ]; do echo tick; sleep 0.2; done; echo bye; exit 5");

        try (Cli.Running attach = tether.cli(binary).start("attach", name)) {
            attach.awaitStdout("tick", QUICK); // attached and relaying
            Engine.execDetached(id, "touch", "/tmp/go");
            Cli.Result r = attach.await(QUICK);

            assertThat(r.exitCode()).as(r.describe()).isEqualTo(5);
            assertThat(r.out()).as(r.describe()).endsWith("bye\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void detachKeysEndTheAttachAndLeaveTheContainerRunning(String binary) {
        String name = Engine.name("detach");
        try (Cli.Running r = tether.cli(binary).startInPty(
                run("-it", "--name", name, Engine.TEST_IMAGE, "sh", "-c", "echo ready; sleep 600"))) {
            r.awaitStdout("ready", QUICK);
            r.write(new byte[] {0x10, 0x11}); // ctrl-p ctrl-q
            Cli.Result result = r.await(QUICK);

            assertThat(result.exitCode()).as(result.describe()).isZero();
            assertThat(Engine.running(Engine.inspect(name))).as("container still running after detach").isTrue();
        }
    }

    // ------------------------------------------------------------------ case 17

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void interactiveRunWithARestartPolicyIsCreatedAndRuns(String binary) {
        String name = Engine.name("restart");
        try (Cli.Running r = tether.cli(binary).start(
                run("-i", "--restart=always", "--name", name, Engine.TEST_IMAGE, "sh", "-c", "echo up; cat"))) {
            r.awaitStdout("up", QUICK);
            JsonNode c = Engine.inspect(name);

            assertThat(c.at("/HostConfig/RestartPolicy/Name").asText()).isEqualTo("always");
            assertThat(c.at("/HostConfig/AutoRemove").asBoolean()).as("AutoRemove").isFalse();
            assertThat(Engine.running(c)).isTrue();

            r.write("echoed\n");
            r.awaitStdout("echoed", QUICK);
            r.closeStdin();
            Cli.Result result = r.await(QUICK);
            assertThat(result.exitCode()).as(result.describe()).isZero();
            assertThat(result.out()).isEqualTo("up\nechoed\n");
        } finally {
            Engine.remove(name); // it would restart forever
        }
    }

    // ------------------------------------------------------------------ case 18

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void attachingToAMissingContainerSaysNoSuchContainer(String binary) {
        Cli.Result r = tether.cli(binary).run(QUICK, "attach", Engine.name("missing"));

        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr()).as(r.describe()).contains("No such container");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void execInAStoppedContainerSaysItIsNotRunning(String binary) {
        String name = Engine.name("stopped");
        Engine.create(name, Engine.containerSpec("true"));

        Cli.Result r = tether.cli(binary).run(QUICK, "exec", name, "true");

        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr()).as(r.describe()).contains("is not running");
    }

    // ------------------------------------------------------------------ case 20

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void inspectFindsAContainerByIdPrefixAndByName(String binary) throws Exception {
        Cli cli = tether.cli(binary);
        Cli.Result byPrefix = cli.run(QUICK, "inspect", sleeper.substring(0, 12));
        Cli.Result byName = cli.run(QUICK, "inspect", "--format", "{{.Id}}", sleeperName);

        assertThat(byPrefix.exitCode()).as(byPrefix.describe()).isZero();
        assertThat(RawHttp.JSON.readTree(byPrefix.out()).get(0).get("Id").asText()).isEqualTo(sleeper);
        assertThat(byName.exitCode()).as(byName.describe()).isZero();
        assertThat(byName.out().strip()).isEqualTo(sleeper);
    }

    // ------------------------------------------------------------------ streaming commands

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void eventsBetweenSinceAndUntilShowAContainerCreate(String binary) {
        Cli cli = tether.cli(binary);
        long since = Instant.now().getEpochSecond() - 1;
        Cli.Result created = cli.run(QUICK, "create", "--label", Engine.labelArg(), "--network", "none",
                "--name", Engine.name("events"), Engine.TEST_IMAGE, "true");
        assertThat(created.exitCode()).as(created.describe()).isZero();
        String id = created.out().strip();
        long until = Instant.now().getEpochSecond() + 1;

        Cli.Result events = cli.run(QUICK, "events", "--since", Long.toString(since), "--until", Long.toString(until),
                "--filter", "label=" + Engine.labelArg(), "--filter", "event=create");

        assertThat(events.exitCode()).as(events.describe()).isZero();
        assertThat(events.out()).as(events.describe()).contains("container create " + id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void statsWithoutStreamPrintsOneSampleAndReturns(String binary) {
        Cli.Result r = tether.cli(binary).run(QUICK, "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", sleeperName);

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).as(r.describe()).startsWith(sleeperName + " ").contains("B /");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void logsFollowShowsNewOutputAndEndsWhenTheContainerExits(String binary) {
        String name = Engine.name("logs-follow");
        String id = Engine.runDetached(name, "sh", "-c",
                "echo one; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo two; echo three >&2");

        try (Cli.Running logs = tether.cli(binary).start("logs", "-f", name)) {
            logs.awaitStdout("one", QUICK);
            Engine.execDetached(id, "touch", "/tmp/go"); // "two" is written only now, while logs follows
            Cli.Result r = logs.await(QUICK);

            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.out()).as(r.describe()).isEqualTo("one\ntwo\n");
            assertThat(r.stderr()).as(r.describe()).isEqualTo("three\n");
        }
    }
}
