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
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/**
 * SDK clients (tie=owner): a Testcontainers JVM killed with SIGKILL loses its containers, the one it started and
 * the one it only created; a second Testcontainers JVM that lives keeps its own, until it ends too.
 */
@Timeout(180)
class ReapOwnersIT {

    private static Path dir;
    private static ReapKit.Tether tether;
    private static final List<Cli.Running> children = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "reap-o");
        tether = ReapKit.Tether.up(dir.resolve("d.sock"));
    }

    @AfterAll
    static void down() {
        try {
            children.forEach(Cli.Running::close);
        } finally {
            ReapKit.tearDown("ReapOwnersIT", dir, tether);
        }
    }

    /** A Testcontainers JVM on tether's socket, with its two containers made. */
    private record Child(Cli.Running process, String started, String created) {

        ProcessHandle handle() {
            return process.process().toHandle();
        }
    }

    private static Cli.Running launch(String prefix) throws IOException {
        Path home = Files.createTempDirectory(dir, "home");
        var pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + home,
                "-cp", System.getProperty("java.class.path"),
                ReapClientChild.class.getName(),
                Engine.RUN_ID, prefix);
        var env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("TESTCONTAINERS_"));
        env.put("DOCKER_HOST", "unix://" + tether.socket);
        env.put("DOCKER_CONFIG", home.resolve(".docker").toString());
        env.put("TESTCONTAINERS_RYUK_DISABLED", "true");
        env.put("TESTCONTAINERS_HOST_OVERRIDE", "localhost"); // no ports are mapped; an engine may have no bridge network
        env.put("TESTCONTAINERS_DOCKER_CLIENT_STRATEGY",
                "org.testcontainers.dockerclient.EnvironmentAndSystemPropertyClientProviderStrategy");
        Cli.Running child = new Cli.Running("testcontainers child " + prefix, pb.start());
        children.add(child);
        return child;
    }

    private static Child ready(Cli.Running child) {
        child.awaitStdout("CREATED ", Duration.ofSeconds(120));
        Map<String, String> said = new java.util.HashMap<>();
        child.stdoutSoFar().lines().filter(l -> l.contains(" ")).forEach(l -> said.put(l.substring(0, l.indexOf(' ')),
                l.substring(l.indexOf(' ') + 1).strip()));
        Child c = new Child(child, said.get("STARTED"), said.get("CREATED"));
        for (String id : List.of(c.started(), c.created())) {
            JsonNode labels = Engine.inspect(id).at("/Config/Labels");
            assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("owner");
            assertThat(labels.path(TetherLabels.OWNER_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(child.pid()));
        }
        assertThat(Engine.running(Engine.inspect(c.started()))).isTrue();
        assertThat(Engine.inspect(c.created()).at("/State/Status").asText()).isEqualTo("created");
        return c;
    }

    @Test
    void aKilledTestcontainersJvmLosesItsContainersAndALivingOneKeepsItsOwn() throws Exception {
        // both JVMs start at once: Testcontainers takes seconds to come up
        String victimName = Engine.name("tc-victim");
        Cli.Running victimProcess = launch(victimName);
        Cli.Running livingProcess = launch(Engine.name("tc-living"));
        Child victim = ready(victimProcess);
        Child living = ready(livingProcess);
        JsonNode livingStarted = Engine.inspect(living.started());

        long death = System.nanoTime();
        ReapKit.sigkill(victim.handle());

        ReapKit.awaitGoneWithin(victim.created(), death, SLACK, "(2) Testcontainers JVM SIGKILL: its created, never started container");
        ReapKit.awaitGoneWithin(victim.started(), death, GRACE.plus(SLACK), "(2) Testcontainers JVM SIGKILL: its running container");
        assertThat(tether.awaitReaped(victimName + "-started")).contains("its owner exited (pid " + victimProcess.pid());
        assertThat(tether.awaitReaped(victimName + "-created")).contains("its owner exited (pid " + victimProcess.pid());

        ReapKit.assertUntouched(living.started(), livingStarted, "(2) the living JVM's running container");
        assertThat(Engine.inspect(living.created()).at("/State/Status").asText())
                .as("the living JVM's created container is still there, not started").isEqualTo("created");
        assertThat(living.handle().isAlive()).isTrue();

        // and once that JVM ends on its own (no clean-up, exit status 0), its containers go too
        long end = System.nanoTime();
        livingProcess.closeStdin();
        assertThat(livingProcess.await(Duration.ofSeconds(30)).exitCode()).isZero();
        ReapKit.awaitGoneWithin(living.created(), end, SLACK, "(2) Testcontainers JVM exits 0 without clean-up: created one");
        ReapKit.awaitGoneWithin(living.started(), end, GRACE.plus(SLACK), "(2) Testcontainers JVM exits 0 without clean-up: running one");
    }
}
