package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tether why}: what a user reads of a live session, a restart-policy container, a reaped one, and a container
 * tether never labelled, while tether runs and after it stopped.
 */
@Timeout(180)
class WhyIT {

    private static final Duration QUICK = Duration.ofSeconds(60);

    private static Path dir;
    private static Path journal;
    private static ReapKit.Tether tether;

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "why");
        journal = dir.resolve("audit.jsonl");
        tether = ReapKit.Tether.up(dir.resolve("d.sock"), "--audit-log", journal.toString());
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("WhyIT", dir, tether);
    }

    @Test
    void aSessionSaysWhatItWaitsOnAndWhatWouldEndIt() throws IOException {
        String name = Engine.name("why-session");
        try (Cli.Running session = new Cli(Cli.NEW, tether.socket).start("run", "-i", "--rm", "--name", name,
                "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sh", "-c", "echo up; cat")) {
            session.awaitStdout("up\n", QUICK);

            String why = why(name);

            assertThat(why).contains("tie        session: docker created a container with stdin attached and open")
                    .contains("owner      pid " + session.pid() + " (docker), alive since ")
                    .contains("tether     pid " + tether.pid() + " created it; it runs and watches this container")
                    .contains("ends when  its stdin session closes, or pid " + session.pid() + " (docker) or pid "
                            + ProcessHandle.current().pid() + " (java) exits, or a process above it up to its session"
                            + " leader (pid-start ")
                    .containsPattern("now +waiting: pid \\d+ is alive")
                    .containsPattern("create +tie session");
        }
    }

    @Test
    void aRestartPolicySaysItOutlivesItsCreator() {
        String name = Engine.name("why-restart");
        Cli.Result run = new Cli(Cli.NEW, tether.socket).run("run", "-d", "--restart", "unless-stopped", "--name", name,
                "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sleep", "600");
        assertThat(run.exitCode()).as(run.describe()).isZero();
        try {
            assertThat(why(name)).contains("tie        none: a restart policy (unless-stopped) says the container"
                            + " outlives whoever created it")
                    .contains("ends when  never by tether (tie none)")
                    .contains("now        left alone: tie=none: never reaped");
        } finally {
            Engine.remove(name);
        }
    }

    @Test
    void aReapedContainerIsToldFromTheJournalAfterTetherStopped() throws IOException {
        String name = Engine.name("why-reaped");
        ReapKit.Tether own = ReapKit.Tether.up(dir.resolve("r.sock"), "--audit-log", dir.resolve("r.jsonl").toString(),
                "--grace", "1s");
        Cli.Running session = new Cli(Cli.NEW, own.socket).start("run", "-i", "--name", name, "--label",
                Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sh", "-c", ReapKit.STUBBORN_SERVER);
        session.awaitStdout("ready", QUICK);
        String id = Engine.inspect(name).path("Id").asText();
        ReapKit.sigkill(session.process().toHandle());
        own.awaitReaped(name);
        AuditItJournal.awaitStory(dir.resolve("r.jsonl"), id, QUICK, "owner-exit", "reap");
        own.close(); // SIGKILL: nothing of this tether is left to ask

        String why = why(name, "--audit-log", dir.resolve("r.jsonl").toString(), "--socket", own.socket.toString());

        assertThat(why).containsPattern("container +[0-9a-f]{12} \\(" + name + "\\): gone")
                .contains("tie        session: docker created a container with stdin attached and open")
                .containsPattern("owner-exit +pid " + session.pid())
                .containsPattern("reap +owner-exit, gone \\d+ ms after notice");
    }

    @Test
    void aContainerTetherNeverLabelledIsNeverTouched() {
        String name = Engine.name("why-unlabelled");
        Engine.runDetached(name, "sleep", "600"); // on the engine's own socket
        try {
            assertThat(why(name)).contains("tie        none: it carries no tether labels").contains("tether never touches it");
        } finally {
            Engine.remove(name);
        }
    }

    @Test
    void aContainerNobodyKnowsIsAClearError() {
        Cli.Result result = tetherWhy("no-such-container-" + Engine.RUN_ID);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).contains("tether why: no container no-such-container-" + Engine.RUN_ID
                + " on the engine, and none in the journal at " + journal);
    }

    private static String why(String container, String... args) {
        Cli.Result result = tetherWhy(container, args);
        assertThat(result.exitCode()).as(result.describe()).isZero();
        System.out.println("[tether why " + container + "]\n" + result.out());
        return result.out();
    }

    private static Cli.Result tetherWhy(String container, String... args) {
        List<String> command = new ArrayList<>(ReapKit.tetherCommand("why", container, "--upstream",
                Engine.endpoint().uri()));
        if (args.length == 0) {
            command.addAll(List.of("--socket", tether.socket.toString()));
        }
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            return running.await(QUICK);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
