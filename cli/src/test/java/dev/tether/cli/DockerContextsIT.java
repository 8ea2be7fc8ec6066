package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.process.Libc;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * tether reaches the engine the user's docker CLI reaches. A second, private engine is made the current docker context
 * {@code alt} with the real docker CLI ({@code docker context create}, {@code docker context use}) in a config folder of
 * the test's own (DOCKER_CONFIG, no DOCKER_HOST); {@code tether up} started there relays to it, not to the machine's
 * engine, and {@code tether status} and {@code doctor} name the rule. Then {@code tether context} gives the docker CLI a
 * context {@code tether} through which its requests reach tether.
 */
@Timeout(300)
class DockerContextsIT {

    private static AuditItDockerd alt;
    private static Path dir;
    private static Path config;
    private static Path home;
    private static Path socket;
    private static ReapKit.Tether tether;

    @BeforeAll
    static void up() throws IOException {
        Cli.requireInstalled(Cli.NEW);
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-contexts");
        Libc.chmod(dir, 0700);
        config = Files.createDirectories(dir.resolve("docker-config"));
        home = Files.createDirectories(dir.resolve("home"));
        socket = dir.resolve("run/t.sock");
        alt = AuditItDockerd.start(Duration.ofSeconds(60));
        alt.loadImage(Engine.TEST_IMAGE, Engine.endpoint().uri(), Duration.ofSeconds(120));

        ok(docker("context", "create", "alt", "--docker", "host=" + alt.uri()));
        ok(docker("context", "use", "alt"));
        assertThat(ok(docker("version", "--format", "{{.Server.Version}}")).exitCode())
                .as("the docker CLI itself reaches the private engine through the context").isZero();

        List<String> command = ReapKit.tetherCommand("up", "--socket", socket.toString(),
                "--audit-log", dir.resolve("audit.jsonl").toString());
        tether = ReapKit.Tether.start(withUserEnv(new ProcessBuilder(command)), socket);
    }

    @AfterAll
    static void down() {
        try {
            ReapKit.tearDown("DockerContextsIT", dir, tether);
        } finally {
            if (alt != null) {
                alt.close();
            }
        }
    }

    @Test
    void tetherRelaysToTheCurrentContextsEngineAndSaysWhy() throws Exception {
        String why = "the current docker context `alt` (" + config.resolve("config.json") + ")";
        assertThat(tether.awaitLog(l -> l.contains("engine: "), Duration.ofSeconds(10)))
                .endsWith("engine: " + alt.uri() + ", chosen by " + why);

        String name = Engine.name("ctx-through-tether");
        Cli.Result created = new Cli(Cli.NEW, socket).run("create", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "true");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        Cli.Result onAlt = alt.cli().run("inspect", "--format", "{{index .Config.Labels \"dev.tether.tie\"}}", name);
        assertThat(onAlt.exitCode()).as("the container is on the private engine: " + onAlt).isZero();
        assertThat(onAlt.out().strip()).as("and tether labelled it").isNotEmpty();
        assertThat(Engine.call("GET", "/containers/" + name + "/json").status())
                .as("and not on the machine's engine").isEqualTo(404);

        Cli.Result status = tetherCli("status", "--socket", socket.toString());
        assertThat(status.out()).as(status.toString()).contains("  upstream  " + alt.uri() + ", chosen by " + why);
        JsonNode json = new ObjectMapper().readTree(tetherCli("status", "--json", "--socket", socket.toString()).out());
        assertThat(json.path("upstreamRule").asText()).isEqualTo("current-context");

        Cli.Result doctor = tetherCli("doctor", "--socket", socket.toString());
        assertThat(doctor.out().lines().toList()).as(doctor.toString())
                .contains("OK    engine choice: tether relays to " + alt.uri() + ", chosen by " + why)
                .anySatisfy(l -> assertThat(l).startsWith("OK    engine: Docker ").endsWith(" at " + alt.uri()));

        // The user switches the docker CLI back: the running tether still relays to alt, and doctor says so.
        ok(docker("context", "use", "default"));
        try {
            Cli.Result drifted = tetherCli("doctor", "--socket", socket.toString());
            List<String> lines = drifted.out().lines().toList();
            String warning = "WARN  engine choice: tether relays to " + alt.uri() + ", chosen by " + why
                    + "; the docker CLI's rules now choose unix:///var/run/docker.sock, by the default socket (no"
                    + " --upstream, DOCKER_HOST or docker context chose one)"; // `docker context use default` clears currentContext
            assertThat(lines).as(drifted.toString()).contains(warning);
            assertThat(lines.get(lines.indexOf(warning) + 1))
                    .isEqualTo("      fix: restart tether to follow them, or keep this engine with tether up --upstream URL");
        } finally {
            ok(docker("context", "use", "alt"));
        }
    }

    @Test
    void aContextThatDoesNotExistStopsTetherUpSayingWhatToDo() throws Exception {
        Path other = dir.resolve("other.sock");
        ProcessBuilder pb = withUserEnv(new ProcessBuilder(ReapKit.tetherCommand("up", "--socket", other.toString(),
                "--audit-log", dir.resolve("other.jsonl").toString())));
        pb.environment().put("DOCKER_CONTEXT", "nope");
        Cli.Result up = run(pb);
        assertThat(up.exitCode()).as(up.toString()).isEqualTo(1);
        assertThat(up.stderr()).contains("tether: DOCKER_CONTEXT names `nope`, which does not exist (no " + config
                + "/contexts/meta/").contains("unset DOCKER_CONTEXT, or set it to a context that exists (docker context ls),"
                + " or name the engine: tether up --upstream URL");
        assertThat(other).as("no socket was served").doesNotExist();
    }

    @Test
    void tetherContextRoutesTheDockerCliThroughTether() throws Exception {
        Cli.Result first = tetherCli("context", "--socket", socket.toString());
        assertThat(first.out()).as(first.toString()).startsWith("created the docker context `tether`: unix://" + socket);
        Cli.Result again = tetherCli("context", "--socket", socket.toString());
        assertThat(again.out()).as(again.toString()).startsWith("the docker context `tether` already points at unix://" + socket);
        assertThat(ok(docker("context", "ls", "--format", "{{.Name}} {{.DockerEndpoint}}")).out().lines())
                .as("the docker CLI reads it from its own store").contains("tether unix://" + socket);

        Cli.Result version = ok(docker("--context", "tether", "version", "--format", "{{.Server.Version}}"));
        assertThat(version.out().strip()).isNotEmpty();
        String name = Engine.name("ctx-tether-context");
        ok(docker("--context", "tether", "create", "--name", name, "--label", Engine.labelArg(), "--network", "none",
                Engine.TEST_IMAGE, "true"));
        Cli.Result labelled = alt.cli().run("inspect", "--format", "{{index .Config.Labels \"dev.tether.tie\"}}", name);
        assertThat(labelled.out().strip()).as("tether saw the create and labelled it: " + labelled).isNotEmpty();

        Cli.Result doctor = tetherCli("doctor", "--socket", socket.toString());
        assertThat(doctor.out()).as(doctor.toString()).contains("OK    docker context tether: points at tether's socket " + socket);

        // In use, it stays: removing it would leave the docker CLI pointing nowhere.
        ok(docker("context", "use", "tether"));
        try {
            Cli.Result refused = tetherCli("context", "--remove", "--socket", socket.toString());
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.stderr()).contains("is the docker CLI's current context").contains("docker context use default");
        } finally {
            ok(docker("context", "use", "alt"));
        }
        Cli.Result removed = tetherCli("context", "--remove", "--socket", socket.toString());
        assertThat(removed.out()).as(removed.toString()).startsWith("removed the docker context `tether`");
        assertThat(ok(docker("context", "ls", "--format", "{{.Name}}")).out().lines()).doesNotContain("tether").contains("alt");
        Cli.Result afterwards = tetherCli("doctor", "--socket", socket.toString());
        assertThat(afterwards.out()).contains("OK    docker context tether: none");
    }

    // ---------------------------------------------------------------- helpers

    /** The real docker CLI on the test's config folder, with no DOCKER_HOST: contexts decide. */
    private static Cli.Result docker(String... args) {
        List<String> command = new ArrayList<>(List.of(Cli.NEW, "--config", config.toString()));
        command.addAll(List.of(args));
        return run(withUserEnv(new ProcessBuilder(command)));
    }

    private static Cli.Result tetherCli(String... args) {
        Cli.Result r = run(withUserEnv(new ProcessBuilder(ReapKit.tetherCommand(args))));
        System.out.println("[tether " + args[0] + "]\n" + r.out() + r.stderr());
        return r;
    }

    /** A user's shell: no DOCKER_HOST, the test's DOCKER_CONFIG, a temporary home. */
    private static ProcessBuilder withUserEnv(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("XDG_") || k.equals("CLAUDE_CONFIG_DIR"));
        env.put("DOCKER_CONFIG", config.toString());
        env.put("DOCKER_CLI_HINTS", "false");
        env.put("HOME", home.toString());
        return pb;
    }

    private static Cli.Result run(ProcessBuilder pb) {
        try (Cli.Running running = new Cli.Running(String.join(" ", pb.command()), pb.start())) {
            running.closeStdin();
            return running.await(Duration.ofSeconds(120));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }
}
