package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.process.Libc;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tether doctor} as a user runs it (the packaged jar, a real process) with a temporary home, against a real
 * {@code tether up} on a temporary socket: what doctor says of the running tether is what its /status says.
 */
@Timeout(300)
class DoctorIT {

    private static Path dir;
    private static Path socket;
    private static Instant launched;
    private static Instant ready;
    private static ReapKit.Tether tether;

    private Path home;
    private Path project;

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-doctor");
        Libc.chmod(dir, 0700);
        socket = dir.resolve("run/d.sock");
        launched = Instant.now();
        tether = ReapKit.Tether.up(socket, "--audit-log", dir.resolve("audit.jsonl").toString());
        ready = Instant.now();
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("DoctorIT", dir, tether);
    }

    @BeforeEach
    void makeHome() throws IOException {
        home = Files.createDirectories(dir.resolve("home-" + System.nanoTime()));
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

            Cli.Result doctor = doctor("--socket", socket.toString());

            List<String> lines = doctor.out().lines().toList();
            String running = lines.stream().filter(l -> l.startsWith("OK    tether: ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no running tether in\n" + doctor));
            Matcher m = Pattern.compile("OK    tether: running \\(pid (\\d+), since (\\S+)\\) on (\\S+), relaying to (\\S+)")
                    .matcher(running);
            assertThat(m.matches()).as(running).isTrue();
            assertThat(Long.parseLong(m.group(1))).as("the tether up process").isEqualTo(tether.pid());
            assertThat(Instant.parse(m.group(2))).as("when it started").isBetween(launched, ready);
            assertThat(m.group(3)).isEqualTo(socket.toString());
            assertThat(m.group(4)).as("the engine it relays to").isEqualTo(Engine.endpoint().uri());
            String engineVersion = Engine.call("GET", "/version").json().path("Version").asText();
            assertThat(lines).as(doctor.toString())
                    .contains("OK    engine: Docker " + engineVersion + " (API "
                            + Engine.call("GET", "/version").json().path("ApiVersion").asText() + ") at " + Engine.endpoint().uri())
                    .contains("OK    socket: " + socket + ", mode 0600, owner uid " + uid() + " (you), in "
                            + socket.getParent() + " (mode 0700)")
                    .contains("OK    process watch: pidfd, a death is noticed within milliseconds")
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
        Libc.chmod(socket, 0666);
        try {
            Cli.Result doctor = doctor("--socket", socket.toString());

            List<String> lines = doctor.out().lines().toList();
            assertThat(lines).as(doctor.toString())
                    .contains("FAIL  socket: " + socket + ", mode 0666, owner uid " + uid() + " (you), in " + socket.getParent()
                            + " (mode 0700): every user can reach the Docker engine through it");
            assertThat(lines.get(lines.indexOf("FAIL  socket: " + socket + ", mode 0666, owner uid " + uid() + " (you), in "
                    + socket.getParent() + " (mode 0700): every user can reach the Docker engine through it") + 1))
                    .isEqualTo("      fix: restart tether: tether up makes it 0600 (0660 with --socket-group)");
            assertThat(doctor.exitCode()).isEqualTo(1);
        } finally {
            Libc.chmod(socket, 0600);
        }
    }

    @Test
    void aSocketPathTetherUpRefusesFailsWithTheSameReason() throws Exception {
        Path open = Files.createDirectory(home.resolve("open"));
        Libc.chmod(open, 01777);
        Path refused = open.resolve("d.sock");

        Cli.Result doctor = doctor("--socket", refused.toString());
        Cli.Result up = run(ReapKit.tetherCommand("up", "--socket", refused.toString(), "--upstream", Engine.endpoint().uri(),
                "--audit-log", home.resolve("audit.jsonl").toString()));

        String reason = "its directory " + open + " is writable by every user (mode 1777), so another user could create"
                + " that path first or replace the socket, and clients would talk to them";
        String fix = "put the socket in a private directory, such as the default $XDG_RUNTIME_DIR/tether, with --socket";
        List<String> lines = doctor.out().lines().toList();
        assertThat(lines).as(doctor.toString())
                .contains("FAIL  socket: " + refused + " does not exist, and tether up refuses to create it: " + reason);
        assertThat(lines.get(lines.indexOf("FAIL  socket: " + refused + " does not exist, and tether up refuses to create it: "
                + reason) + 1)).isEqualTo("      fix: " + fix);
        assertThat(doctor.exitCode()).isEqualTo(1);
        assertThat(up.exitCode()).as(up.toString()).isEqualTo(1);
        assertThat(up.stderr()).contains("refusing socket " + refused + ": " + reason + "; " + fix);
    }

    private Cli.Result doctor(String... args) {
        List<String> command = new ArrayList<>(ReapKit.tetherCommand("doctor"));
        command.addAll(List.of(args));
        Cli.Result result = run(command);
        System.out.println("[tether doctor]\n" + result.out() + result.stderr());
        return result;
    }

    /** Runs a tether command in the project folder, with the temporary home and no Docker or XDG variables. */
    private Cli.Result run(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(project.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("XDG_") || k.equals("CLAUDE_CONFIG_DIR")
                || k.equals("TETHER_LAUNCHER") || k.equals("APPDATA"));
        env.put("HOME", home.toString());
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            return running.await(Duration.ofSeconds(120));
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
