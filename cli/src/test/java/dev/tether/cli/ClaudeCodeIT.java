package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;
import dev.tether.proxy.TetherExtension;

/**
 * The real Claude Code CLI (the pinned npm package, {@code scripts/claude-code}) reads the configuration
 * {@code tether setup claude-code} wrote, starts the routed server through tether, and connects to it; after
 * {@code --undo} it starts it with plain docker again. A server that is a plain shell process is left alone until
 * {@code --all}, then started through tether too, and plain again after {@code --undo}. No login is needed:
 * {@code claude mcp list} starts each server for a health check (MCP initialize, tools/list).
 *
 * <p>The command written into the config is this checkout's real launcher, {@code ./tether run -- docker …}: it starts a
 * detached tether on the temporary home's default socket (the test's first {@code tether run} does, so that Claude
 * Code's health check does not wait for a JVM), and every start after that is the launcher's fast path. The test
 * stops that tether at the end.
 */
@Timeout(300)
class ClaudeCodeIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    /** A stdio MCP server in busybox sh: answers initialize and tools/list, ends at the end of stdin. */
    private static final String SERVER = "while IFS= read -r line; do"
            + " id=$(echo \"$line\" | sed -n 's/.*\"id\":\\([0-9][0-9]*\\).*/\\1/p');"
            + " case \"$line\" in"
            + " *'\"method\":\"initialize\"'*) echo '{\"jsonrpc\":\"2.0\",\"id\":'\"$id\"',\"result\":{\"protocolVersion\":\"2024-11-05\","
            + "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"busybox\",\"version\":\"1\"}}}' ;;"
            + " *'\"method\":\"tools/list\"'*) echo '{\"jsonrpc\":\"2.0\",\"id\":'\"$id\"',\"result\":{\"tools\":[]}}' ;;"
            + " esac; done";

    private static Path claude;

    @BeforeAll
    static void installClaudeCode() throws Exception {
        Path script = Engine.root().resolve("scripts/claude-code");
        Process p = new ProcessBuilder(script.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError("scripts/claude-code could not provide Claude Code (it needs npm and the npm registry): " + err);
        }
        claude = Path.of(out);
    }

    @Test
    void claudeCodeStartsTheRoutedServerThroughTetherAndPlainDockerAfterUndo() throws Exception {
        Path home = Files.createDirectories(tether.dir().resolve("home"));
        Path project = Files.createDirectories(home.resolve("project"));
        Path launcher = Engine.root().resolve("tether");
        List<String> docker = List.of("run", "-i", "--rm", "--label", Engine.labelArg(), "--network", "none",
                Engine.TEST_IMAGE, "sh", "-c", SERVER);
        ObjectNode config = RawHttp.JSON.createObjectNode().put("numStartups", 1);
        ObjectNode servers = config.putObject("mcpServers");
        ObjectNode busybox = servers.putObject("busybox").put("type", "stdio").put("command", "docker");
        docker.forEach(busybox.putArray("args")::add);
        busybox.putObject("env");
        ObjectNode shell = servers.putObject("shell").put("type", "stdio").put("command", "sh");
        shell.putArray("args").add("-c").add(SERVER);
        servers.putObject("notion").put("type", "http").put("url", "http://127.0.0.1:9/mcp");
        Path claudeJson = home.resolve(".claude.json");
        Files.writeString(claudeJson, config.toPrettyString());
        Files.setPosixFilePermissions(claudeJson, PosixFilePermissions.fromString("rw-------"));

        Cli.Result setup = run(home, project, tetherCommand("setup", "claude-code", "--launcher", launcher.toString()));
        assertThat(setup.exitCode()).as(setup.toString()).isZero();
        assertThat(setup.out()).contains("busybox (user): route through tether")
                .contains("not started by docker, left alone (--all routes them too): shell (user)");
        Cli.Result all = run(home, project, tetherCommand("setup", "claude-code", "--all", "--launcher", launcher.toString()));
        assertThat(all.exitCode()).as(all.toString()).isZero();
        assertThat(all.out()).contains("busybox (user): already routed through tether")
                .contains("shell (user): route through tether")
                .contains("not stdio, no process of theirs to guard, left alone: notion (user, http)");
        Path lock = home.resolve(".tether/docker.sock.lock");
        try {
            Cli.Result started = run(home, project, List.of(launcher.toString(), "run", "--", "true"));
            assertThat(started.exitCode()).as(started.toString()).isZero();
            assertThat(Files.readString(lock).strip()).as("the pid of the tether `tether run` started").isNotEmpty();
            claudeCodeConnectsThroughTetherThenPlainDockerAfterUndo(home, project, launcher);
        } finally {
            stopTetherHolding(lock);
        }
    }

    private static void claudeCodeConnectsThroughTetherThenPlainDockerAfterUndo(Path home, Path project, Path launcher)
            throws Exception {
        Instant before = Instant.now();
        Cli.Result list = run(home, project, List.of(claude.toString(), "mcp", "list"));
        String routedLine = "busybox: " + launcher + " run -- docker run -i --rm --label " + Engine.labelArg();
        assertThat(list.out().lines()).as(list.toString())
                .anySatisfy(l -> assertThat(l).startsWith(routedLine).endsWith("✔ Connected"))
                .anySatisfy(l -> assertThat(l).startsWith("shell: " + launcher + " run -- sh -c ").endsWith("✔ Connected"));
        JsonNode created = createdSince(before);
        assertThat(created.at("/Actor/Attributes/dev.tether.tie").asText()).as(created.toString()).isEqualTo("session");
        assertThat(created.at("/Actor/Attributes/dev.tether.owner.exe").asText()).endsWith("docker");
        assertThat(created.at("/Actor/Attributes/dev.tether.host.exe").asText())
                .as("the docker CLI's parent: Claude Code itself, the launcher having exec'd docker")
                .isEqualTo(claude.toRealPath().toString());
        Engine.awaitGone(created.path("id").asText(), Duration.ofSeconds(60));

        Cli.Result get = run(home, project, List.of(claude.toString(), "mcp", "get", "busybox"));
        assertThat(get.out()).as(get.toString()).contains("Scope: User config").contains("Status: ✔ Connected");

        Cli.Result undo = run(home, project, tetherCommand("setup", "claude-code", "--undo", "--launcher", launcher.toString()));
        assertThat(undo.exitCode()).as(undo.toString()).isZero();
        Instant afterUndo = Instant.now();
        Cli.Result plain = run(home, project, List.of(claude.toString(), "mcp", "list"));
        assertThat(plain.out().lines()).as(plain.toString())
                .anySatisfy(l -> assertThat(l).startsWith("busybox: docker run -i --rm --label " + Engine.labelArg())
                        .endsWith("✔ Connected"))
                .anySatisfy(l -> assertThat(l).startsWith("shell: sh -c ").endsWith("✔ Connected"));
        JsonNode direct = createdSince(afterUndo);
        assertThat(direct.at("/Actor/Attributes/dev.tether.tie").isMissingNode())
                .as("started on the engine directly, not through tether: " + direct).isTrue();
        Engine.awaitGone(direct.path("id").asText(), Duration.ofSeconds(60));
    }

    /** Stops the detached tether `tether run` started (its pid is in the socket's lock file), and waits for its end. */
    private static void stopTetherHolding(Path lock) throws IOException {
        if (!Files.exists(lock)) {
            return;
        }
        String pid = Files.readString(lock).strip().split("\\s+")[0]; // "PID" or "PID serving START"
        if (pid.isEmpty()) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(tether -> {
            tether.destroy();
            try {
                tether.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                tether.destroyForcibly();
                throw new AssertionError("the tether `tether run` started (pid " + pid + ") did not stop on SIGTERM", e);
            }
        });
    }

    /** The engine's create event for this run's container created since {@code since}; its attributes are the labels. */
    private static JsonNode createdSince(Instant since) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            String filters = Engine.encode("{\"label\":[\"" + Engine.labelArg() + "\"],\"event\":[\"create\"],\"type\":[\"container\"]}");
            RawHttp.Response events = Engine.call("GET", "/events?since=" + since.getEpochSecond() + "&until="
                    + (Instant.now().getEpochSecond() + 1) + "&filters=" + filters);
            List<JsonNode> found = new ArrayList<>();
            try {
                var parser = RawHttp.JSON.createParser(events.body());
                var it = RawHttp.JSON.readValues(parser, JsonNode.class);
                it.forEachRemaining(found::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!found.isEmpty()) {
                return found.getLast();
            }
            Engine.pause();
        }
        throw new AssertionError("no container of this run was created since " + since);
    }

    private static List<String> tetherCommand(String... args) {
        return ReapKit.tetherCommand(args);
    }

    private static Cli.Result run(Path home, Path project, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(project.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("XDG_") || k.startsWith("CLAUDE")
                || k.startsWith("ANTHROPIC") || k.equals("TETHER_LAUNCHER"));
        env.put("HOME", home.toString());
        env.put("DISABLE_AUTOUPDATER", "1");
        env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            running.closeStdin();
            Cli.Result result = running.await(Duration.ofSeconds(120));
            System.out.println("[" + String.join(" ", command.subList(Math.max(0, command.size() - 3), command.size())) + "]\n"
                    + result.out() + result.stderr());
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
