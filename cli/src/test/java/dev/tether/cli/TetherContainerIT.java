package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/**
 * tether as a container: the image from container/Dockerfile, built here offline (container/build-local: the jar
 * from this build, a jlink'ed runtime imported as the base), run as its non-root user with the engine socket and a
 * socket directory bind-mounted. With {@code --pid=host} it ties and reaps a session of a docker CLI on the host;
 * without, it says that its clients have pid 0. SIGTERM drains and ends it.
 */
@Timeout(900)
class TetherContainerIT {

    private static final String IMAGE = "tether-test/tether:" + Engine.RUN_ID;
    private static final String BASE = "tether-test/tether-jre:" + Engine.RUN_ID;
    private static final Duration HEALTHY_WITHIN = Duration.ofSeconds(120);
    /** A stdio server that ignores the end of its stdin and has no SIGTERM handler (PID 1 would ignore SIGTERM). */
    private static final String SERVER = "echo ready; while :; do sleep 1; done";

    private static Path dir;
    private final List<Cli.Running> clis = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tctr");
        ProcessBuilder pb = new ProcessBuilder(Engine.root().resolve("container/build-local").toString(), IMAGE, BASE)
                .redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        pb.environment().put("DOCKER_HOST", Engine.endpoint().uri());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("TETHER_IMAGE_LABEL", Engine.labelArg());
        Launched built = new Launched(pb.start(), false);
        List<String> out = built.finish();
        System.out.println("[container/build-local]\n" + String.join("\n", out));
        assertThat(built.exitCode()).as("container/build-local: %s", out).isZero();
    }

    @AfterEach
    void endTheClis() {
        clis.forEach(Cli.Running::close);
    }

    @AfterAll
    static void removeEverything() {
        try {
            Engine.cleanup();
        } finally {
            Engine.removeImage(IMAGE);
            Engine.removeImage(BASE);
            ReapKit.deleteTree(dir);
        }
        assertThat(Engine.call("GET", "/images/" + IMAGE + "/json").status()).as("image %s removed", IMAGE).isEqualTo(404);
        assertThat(Engine.call("GET", "/images/" + BASE + "/json").status()).as("image %s removed", BASE).isEqualTo(404);
    }

    @Test
    void withThePidNamespaceOfTheHostItTiesAndReapsAHostCliSession() throws Exception {
        Path sockets = socketDir("host-pid");
        String tether = runTether(sockets, true, "--mcp-defaults");
        JsonNode image = Engine.inspect(tether).get("Config");
        assertThat(image.path("User").asText()).as("runs as its own user").isEqualTo("10001");

        reapsASession(sockets, tether, "docker run");
    }

    /** The compose example as it is, but for the image, socket directory and project name, with docker-compose. */
    @Test
    void theComposeExampleRunsItToo() throws Exception {
        Path sockets = socketDir("compose");
        String project = "tether-it-" + Engine.RUN_ID + "-compose";
        Path compose = Engine.root().resolve("container/compose.yaml");
        try {
            Cli.Result up = compose(project, compose, sockets, "up", "-d", "--no-build");
            assertThat(up.exitCode()).as(up.describe()).isZero();
            String tether = project + "_tether_1";
            Engine.awaitContainer(tether, c -> c.at("/State/Health/Status").asText().equals("healthy"),
                    "healthy", HEALTHY_WITHIN);
            JsonNode hostConfig = Engine.inspect(tether).get("HostConfig");
            assertThat(hostConfig.path("PidMode").asText()).isEqualTo("host");
            assertThat(hostConfig.path("ReadonlyRootfs").asBoolean()).isTrue();
            assertThat(Engine.inspect(tether).at("/Config/User").asText()).isEqualTo("10001:10001");

            reapsASession(sockets, tether, "compose");
        } finally {
            Cli.Result down = compose(project, compose, sockets, "down", "-v", "-t", "20");
            assertThat(down.exitCode()).as(down.describe()).isZero();
        }
    }

    /** A host docker CLI's stdio session through the containerised tether: tied to the CLI's host pid, reaped at its death. */
    private void reapsASession(Path sockets, String tether, String how) {
        String name = Engine.name("ctr-session");
        Cli.Running cli = new Cli(Cli.NEW, sockets.resolve("docker.sock")).start("run", "-i", "--rm", "--name", name,
                "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sh", "-c", SERVER);
        clis.add(cli);
        cli.awaitStdout("ready", Duration.ofSeconds(60));
        JsonNode session = Engine.inspect(name);
        assertThat(session.at("/Config/Labels/dev.tether.owner.pid").asText())
                .as("the CLI's pid as the host sees it").isEqualTo(Long.toString(cli.pid()));
        assertThat(session.at("/Config/Labels/dev.tether.tie").asText()).isEqualTo("session");
        assertThat(session.at("/HostConfig/Init").asBoolean()).as("--mcp-defaults reached tether up").isTrue();
        String id = session.get("Id").asText();

        long death = System.nanoTime();
        ReapKit.sigkill(cli.process().toHandle());

        ReapKit.awaitGoneWithin(name, death, ReapKit.GRACE.plus(ReapKit.SLACK),
                "docker CLI SIGKILL, tether in a container (" + how + ")");
        awaitLog(tether, "reaped " + id.substring(0, 12));
    }

    private static Cli.Result compose(String project, Path file, Path sockets, String... args) {
        List<String> command = new ArrayList<>(List.of("/usr/bin/docker-compose", "-p", project, "-f", file.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("TETHER_") || k.startsWith("COMPOSE_"));
        pb.environment().put("DOCKER_HOST", Engine.endpoint().uri());
        pb.environment().put("TETHER_IMAGE", IMAGE);
        pb.environment().put("TETHER_SOCKET_DIR", sockets.toString());
        pb.environment().put("DOCKER_GID", Long.toString(socketGroup()));
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            return running.await(Duration.ofSeconds(120));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void withoutThePidNamespaceOfTheHostItSaysPeerPidsReadAsZero() throws Exception {
        Path sockets = socketDir("own-pid");
        String tether = runTether(sockets, false);

        String name = Engine.name("ctr-no-pid");
        Cli.Result run = new Cli(Cli.NEW, sockets.resolve("docker.sock")).run("run", "-d", "--rm", "--name", name,
                "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sleep", "60");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        JsonNode labels = Engine.inspect(name).at("/Config/Labels");
        assertThat(labels.path("dev.tether.owner.pid").asText()).isEqualTo("0");
        assertThat(labels.path("dev.tether.tie").asText()).isEqualTo("none");
        String warning = awaitLog(tether, "has pid 0");
        assertThat(warning).contains("another PID namespace").contains("--pid=host");
        Engine.remove(name);
    }

    @Test
    void sigtermDrainsAndEndsIt() throws Exception {
        Path sockets = socketDir("sigterm");
        String tether = runTether(sockets, true);

        Instant asked = Instant.now();
        Cli.Result stop = new Cli(Cli.NEW, Engine.socket()).run(Duration.ofSeconds(60), "stop", "-t", "30", tether);
        Duration took = Duration.between(asked, Instant.now());
        assertThat(stop.exitCode()).as(stop.describe()).isZero();

        JsonNode state = Engine.inspect(tether).get("State");
        assertThat(state.path("ExitCode").asInt()).as("the JVM's exit on SIGTERM (128+15), not SIGKILL's 137: %s", state)
                .isEqualTo(143);
        assertThat(took).as("no client was connected: tether stops at once, not after docker stop's 30 s")
                .isLessThan(Duration.ofSeconds(15));
        assertThat(logs(tether)).contains("stopping: no new connections").contains("stopped");
        assertThat(sockets.resolve("docker.sock")).as("tether removed its socket").doesNotExist();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * A directory of tether's user (10001) for its socket, bind-mounted at /run/tether: private to that user, as
     * tether demands (it refuses a directory another user could write to). The test runs as root, which may connect.
     */
    private static Path socketDir(String purpose) throws IOException {
        Path sockets = Files.createDirectory(dir.resolve(purpose));
        Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwx------"));
        Files.setAttribute(sockets, "unix:uid", 10001);
        Files.setAttribute(sockets, "unix:gid", 10001);
        return sockets;
    }

    /** Starts the image as a user would, and waits until its HEALTHCHECK (tether status) says healthy. */
    private static String runTether(Path sockets, boolean hostPid, String... tetherArgs) {
        String name = Engine.name("tether-ctr");
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", "--health-interval", "1s",
                "-v", Engine.socket() + ":/var/run/docker.sock", "-v", sockets + ":/run/tether",
                "--group-add", Long.toString(socketGroup())));
        if (hostPid) {
            args.add("--pid=host");
        }
        args.add(IMAGE);
        args.addAll(List.of(tetherArgs));
        Cli.Result run = new Cli(Cli.NEW, Engine.socket()).run(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.describe()).isZero();
        try {
            Engine.awaitContainer(name, c -> c.at("/State/Health/Status").asText().equals("healthy"), "healthy",
                    HEALTHY_WITHIN);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\ntether's log: " + logs(name), e);
        }
        return name;
    }

    private static long socketGroup() {
        try {
            return ((Number) Files.getAttribute(Engine.socket(), "unix:gid")).longValue();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the group of " + Engine.socket(), e);
        }
    }

    private static String logs(String container) {
        return new Cli(Cli.NEW, Engine.socket()).run("logs", container).describe();
    }

    private static String awaitLog(String container, String part) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            String log = logs(container);
            for (String line : log.lines().toList()) {
                if (line.contains(part)) {
                    return line;
                }
            }
            Engine.pause();
        }
        throw new AssertionError("no log line with '" + part + "' in " + container + ":\n" + logs(container));
    }
}
