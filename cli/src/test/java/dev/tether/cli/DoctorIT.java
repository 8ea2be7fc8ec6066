package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.ControlServer;
import dev.tether.proxy.ControlServer.Reply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;
import dev.tether.proxy.TetherExtension;
import dev.tether.proxy.DockerProxy;
import dev.tether.proxy.ProxyConfig;

/**
 * {@code tether doctor} as a user runs it (the packaged jar, a real process) with a temporary home, against a tether
 * running in this JVM on a temporary socket, with its control socket answering {@code /status}.
 */
@Timeout(300)
class DoctorIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static ControlServer control;
    private static final Instant STARTED = Instant.now();

    private Path home;
    private Path project;

    @BeforeAll
    static void startControlSocket() throws IOException {
        control = ControlServer.start(ControlServer.socketFor(tether.socket()), Optional.empty(), Map.of(
                "/status", () -> Reply.json(RawHttp.JSON.createObjectNode()
                        .put("pid", ProcessHandle.current().pid())
                        .put("startedAt", STARTED.toString())
                        .put("socket", tether.socket().toString())
                        .put("upstream", Engine.endpoint().uri()))));
    }

    @AfterAll
    static void stopControlSocket() {
        if (control != null) {
            control.close();
        }
    }

    @BeforeEach
    void makeHome() throws IOException {
        home = Files.createDirectories(tether.dir().resolve("home-" + System.nanoTime()));
        project = Files.createDirectories(home.resolve("project"));
    }

    @Test
    void reportsTheEngineTheSocketTheRunningTetherAndWhichServersAreRouted() throws Exception {
        String launcher = Engine.root().resolve("tether").toRealPath().toString();
        Files.writeString(home.resolve(".claude.json"), """
                {
                  "numStartups": 7,
                  "mcpServers": {
                    "github": {
                      "command": "%s",
                      "args": ["run", "--", "docker", "run", "-i", "--rm", "ghcr.io/github/github-mcp-server"]
                    },
                    "fetch": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-fetch"]}
                  }
                }
                """.formatted(launcher));
        Path cursor = Files.createDirectories(home.resolve(".cursor")).resolve("mcp.json");
        Files.writeString(cursor, """
                {"mcpServers": {"time": {"command": "docker", "args": ["run", "-i", "--rm", "mcp/time"]}}}
                """);
        // A stdio server started on the engine's own socket, as before tether: stdin attached, no tie label.
        try (Cli.Running leaked = new Cli(Cli.NEW, Engine.socket()).start("run", "-i", "--rm", "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "cat")) {
            String leakId = awaitRunningTestContainer();

            Cli.Result doctor = doctor("--socket", tether.socket().toString());

            List<String> lines = doctor.out().lines().toList();
            String engineVersion = Engine.call("GET", "/version").json().path("Version").asText();
            assertThat(lines).as(doctor.toString())
                    .contains("OK    engine: Docker " + engineVersion + " (API "
                            + Engine.call("GET", "/version").json().path("ApiVersion").asText() + ") at " + Engine.endpoint().uri())
                    .contains("OK    socket: " + tether.socket() + ", mode 0600, owner uid " + uid() + " (you), in "
                            + tether.dir() + " (mode 0700)")
                    .contains("OK    process watch: pidfd, a death is noticed within milliseconds")
                    .contains("OK    tether: running (pid " + ProcessHandle.current().pid() + ", since " + STARTED + ") on "
                            + tether.socket() + ", relaying to " + Engine.endpoint().uri())
                    .contains("OK    Claude Code " + home.resolve(".claude.json") + ": routed through tether: github (user)")
                    .contains("WARN  Cursor " + cursor + ": not routed through tether: time (user)")
                    .contains("OK    Claude Desktop: no configuration (" + home.resolve(".config/Claude/claude_desktop_config.json") + ")");
            assertThat(lines.get(lines.indexOf("WARN  Cursor " + cursor + ": not routed through tether: time (user)") + 1))
                    .isEqualTo("      fix: tether setup cursor");
            String leaks = lines.stream().filter(l -> l.startsWith("WARN  leaks: ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no leak warning in\n" + doctor.out()));
            assertThat(leaks).contains(leakId.substring(0, 12)).contains("(" + Engine.TEST_IMAGE + ")");
            assertThat(lines.get(lines.indexOf(leaks) + 1)).isEqualTo("      fix: review and stop them: tether sweep --unlabelled");
            assertThat(doctor.exitCode()).as("warnings only: " + doctor.out()).isZero();
            leaked.closeStdin();
        }
    }

    @Test
    void withNoEngineAndNoTetherDoctorFailsAndSaysWhatToStart() throws Exception {
        Path nowhere = home.resolve("docker.sock");
        Path noEngine = home.resolve("no-engine.sock");
        Files.writeString(project.resolve(".mcp.json"), """
                {"mcpServers": {"db": {"command": "/usr/bin/docker", "args": ["run", "-i", "--rm", "mcp/postgres"]}}}
                """);
        Path cursor = Files.createDirectories(home.resolve(".cursor")).resolve("mcp.json");
        Files.writeString(cursor, "{\"mcpServers\": {\"time\": {\"command\": \"docker\",}}}");

        Cli.Result doctor = doctor("--socket", nowhere.toString(), "--upstream", "unix://" + noEngine);

        List<String> lines = doctor.out().lines().toList();
        assertThat(lines).as(doctor.toString())
                .anySatisfy(l -> assertThat(l).startsWith("FAIL  engine: nothing answers at unix://" + noEngine))
                .contains("      fix: start the Docker engine, or name it: tether up --upstream URL (or DOCKER_HOST)")
                .contains("WARN  socket: " + nowhere + " does not exist")
                .contains("WARN  tether: not running on " + nowhere + " (nothing answers on " + nowhere + ".control)")
                .contains("WARN  leaks: not checked, the engine did not answer")
                .contains("WARN  Claude Code " + project.resolve(".mcp.json") + ": not routed through tether: db (project)")
                .contains("      fix: tether setup claude-code --project " + project)
                .anySatisfy(l -> assertThat(l).startsWith("FAIL  Cursor: " + cursor + " is not valid JSON (line 1, column 46): "))
                .contains("      fix: fix the file, or restore it from a backup (.tether-backup beside it, if tether setup changed it)");
        assertThat(doctor.exitCode()).isEqualTo(1);
    }

    @Test
    void aWorldReachableSocketFails() throws Exception {
        Path dir = Files.createDirectories(home.resolve("open"));
        DockerProxy open = tether.startProxy(ProxyConfig.of(dir.resolve("d.sock"), Engine.endpoint()));
        Files.setPosixFilePermissions(dir.resolve("d.sock"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));

        Cli.Result doctor = doctor("--socket", dir.resolve("d.sock").toString());

        assertThat(doctor.out().lines()).as(doctor.toString())
                .anySatisfy(l -> assertThat(l).startsWith("FAIL  socket: " + dir.resolve("d.sock") + ", mode 0666")
                        .endsWith(": every user can reach the Docker engine through it"));
        assertThat(doctor.exitCode()).isEqualTo(1);
        open.close();
    }

    private Cli.Result doctor(String... args) {
        List<String> command = new ArrayList<>(ReapKit.tetherCommand("doctor"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(project.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("XDG_") || k.equals("CLAUDE_CONFIG_DIR")
                || k.equals("TETHER_LAUNCHER") || k.equals("APPDATA"));
        env.put("HOME", home.toString());
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            Cli.Result result = running.await(Duration.ofSeconds(120));
            System.out.println("[tether doctor]\n" + result.out() + result.stderr());
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String awaitRunningTestContainer() {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            JsonNode list = Engine.call("GET", "/containers/json?filters="
                    + Engine.encode("{\"label\":[\"" + Engine.labelArg() + "\"]}")).json();
            for (JsonNode c : list) {
                if (!c.path("Labels").has("dev.tether.tie")) {
                    return c.path("Id").asText();
                }
            }
            Engine.pause();
        }
        throw new AssertionError("the directly started container never ran");
    }

    private static int uid() throws IOException {
        return (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
