package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.process.Libc;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tether sweep --orphans} and {@code tether doctor} against real processes: two MCP servers left by a dead
 * host (stdin a pipe; stdin a socketpair, as Node hosts give), planted beside four near-misses that must not be
 * listed. Everything runs in a PID namespace of its own
 * ({@code unshare --pid --fork --mount-proc}): there pid 1 is the test's bash, to which the planted processes are
 * reparented, and other sessions' processes on this machine are neither seen nor stopped. Needs root, as
 * {@code unshare} and {@code setpriv} (the other user's process) do.
 */
@Timeout(180)
class SweepOrphansIT {

    /** A stdio MCP server as far as its command line tells: it ignores SIGTERM and starts a child in a new session. */
    private static final String SERVER = """
            const { spawn } = require('child_process');
            process.on('SIGTERM', () => {});
            const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
            require('fs').writeFileSync(process.argv[2], child.pid + '\\n');
            setInterval(() => {}, 1 << 30);
            """;

    /**
     * A host as Node hosts (Claude Code) start servers: stdin a socketpair, not a pipe. It writes the server's pid,
     * then exits (the server is reparented, its stdin's peer closed) or, with "stay", lives on holding the peer.
     */
    private static final String NODE_HOST = """
            const { spawn } = require('child_process');
            const [server, name, stay] = process.argv.slice(2);
            const c = spawn('node', [server, name + '.child'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
            require('fs').writeFileSync(name + '.pid', c.pid + '\\n');
            if (stay !== 'stay') { c.unref(); process.exit(0); }
            setInterval(() => {}, 1 << 30);
            """;

    private Path dir;
    private Process namespace;
    private long init;

    @BeforeEach
    void plant() throws IOException {
        assertThat(Libc.effectiveUid()).as("this test runs as root: unshare makes its PID namespace, setpriv runs"
                + " a process as nobody").isZero();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-orphans");
        // nobody reads the server here, and writes its child's pid in shared/
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(Files.createDirectory(dir.resolve("shared")), PosixFilePermissions.fromString("rwxrwxrwx"));
        // the socket doctor is told of goes in a private directory, as doctor asks: only the orphan check is under test
        Files.createDirectory(dir.resolve("home"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path server = dir.resolve("mcp-server-fake.js");
        Files.writeString(server, SERVER);
        Path host = dir.resolve("host.js");
        Files.writeString(host, NODE_HOST);
        String d = dir.toString();
        // Each ( ... & ) is a host that starts a server and dies at once: the server is reparented to pid 1.
        String script = String.join("\n",
                // the orphan: its stdin's writer (:) is gone with its host
                "( : | node " + server + " " + d + "/orphan.child & echo $! > " + d + "/orphan.pid )",
                // a living host: the same server, its stdin's writer (sleep) still runs
                "( sleep 600 | node " + server + " " + d + "/live.child & echo $! > " + d + "/live.pid )",
                // the orphan of a Node host: stdin a socket whose peer closed when the host exited
                "node " + host + " " + server + " " + d + "/socket < /dev/null",
                // a Node host that lives, holding its server's socket
                "( node " + host + " " + server + " " + d + "/livesocket stay < /dev/null & )",
                // reparented, stdin's writer gone, an MCP name on its command line, but no MCP runner: a shell
                "( : | bash -c 'sleep 600; :' mcp-server-lookalike & echo $! > " + d + "/lookalike.pid )",
                // the orphan again, but another user's
                "( : | setpriv --reuid=nobody --regid=nogroup --clear-groups node " + server + " " + d
                        + "/shared/other.child & echo $! > " + d + "/other.pid )",
                // bash as pid 1 reaps what is reparented to it while it waits for its own child
                "sleep 3600");
        namespace = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "bash", "-c", script)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(dir.resolve("namespace.log").toFile())
                .redirectErrorStream(true)
                .start();
        await("the planted processes write their pids", () -> List.of("orphan.pid", "orphan.child", "live.pid",
                "live.child", "socket.pid", "socket.child", "livesocket.pid", "livesocket.child", "lookalike.pid", "other.pid",
                "shared/other.child").stream()
                .allMatch(f -> read(f).matches("\\d+")));
        init = namespace.toHandle().children().findFirst().orElseThrow().pid();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (namespace != null) {
            // unshare's death kills its child, pid 1 of the namespace, and with it every process planted there.
            // SIGKILL: unshare --fork ignores SIGTERM, leaving it to the child.
            namespace.destroyForcibly();
            namespace.waitFor();
            await("the namespace's processes end", () -> ProcessHandle.of(init).isEmpty());
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void listsOnlyTheOrphansDoctorCountsThemAndYesStopsTheirTrees() {
        long orphan = pid("orphan.pid");
        long socketOrphan = pid("socket.pid");
        Set<Long> orphans = Set.of(orphan, pid("orphan.child"), socketOrphan, pid("socket.child"));
        Set<Long> spared = Set.of(pid("live.pid"), pid("live.child"), pid("livesocket.pid"), pid("livesocket.child"),
                pid("lookalike.pid"), pid("other.pid"), pid("shared/other.child"));
        assertThat(running()).as("all planted").containsAll(orphans).containsAll(spared);

        Cli.Result listed = tether("sweep", "--orphans");

        assertThat(listed.exitCode()).as(listed.toString()).isZero();
        String node = "node " + dir.resolve("mcp-server-fake.js") + " ";
        assertThat(rows(listed)).as(listed.out()).hasSize(2)
                .anySatisfy(row -> assertThat(row).startsWith(orphan + " ").contains(node.strip())
                        .matches("\\d+\\s+\\d+s\\s+1\\s+node .*"))
                .anySatisfy(row -> assertThat(row).startsWith(socketOrphan + " ").contains(node.strip())
                        .matches("\\d+\\s+\\d+s\\s+1\\s+node .*"));
        assertThat(listed.out()).contains("orphaned: parent is init (pid 1); stdin pipe:[")
                .contains("no process holds its write end")
                .containsPattern("orphaned: parent is init \\(pid 1\\); stdin socket:\\[\\d+\\]: its peer was closed")
                .contains("2 processes look like stdio MCP servers left by a dead host")
                .contains("tether sweep --orphans --yes");
        assertThat(running()).as("listing stops nothing").containsAll(orphans).containsAll(spared);

        Cli.Result doctor = tether("doctor", "--socket", dir.resolve("home/tether.sock").toString(),
                "--upstream", Engine.endpoint().uri());

        assertThat(doctor.out().lines().filter(l -> l.contains("orphans:")).toList()).as(doctor.out())
                .singleElement().asString()
                .startsWith("WARN  orphans: 2 processes look like orphaned MCP servers (reparented, nobody left"
                        + " to write to their stdin): pid ")
                .contains(orphan + " (node)").contains(socketOrphan + " (node)");
        assertThat(doctor.out()).contains("fix: review and stop them: tether sweep --orphans");

        Cli.Result swept = tether("sweep", "--orphans", "--yes", "--grace", "1s");

        assertThat(swept.exitCode()).as(swept.toString()).isZero();
        assertThat(swept.out()).contains("stopped pid " + orphan + " (node ").contains("stopped pid " + socketOrphan + " (node ")
                .contains("and its 1 descendant (1 needed SIGKILL after the grace)")
                .contains("stopped 2 orphaned MCP servers");
        assertThat(running()).as("the orphans and the children they started in sessions of their own are gone; the rest run")
                .doesNotContainAnyElementsOf(orphans).containsAll(spared);

        Cli.Result again = tether("sweep", "--orphans");
        assertThat(again.out()).contains("no process of yours looks like a stdio MCP server left by a dead host");
    }

    @Test
    void orphansWithUnlabelledIsRefused() {
        Cli.Result refused = tether("sweep", "--orphans", "--unlabelled");

        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("--orphans looks at processes, not containers");
    }

    /** tether.jar run inside the namespace, as a user there would run it, with an empty home. */
    private Cli.Result tether(String... args) {
        List<String> command = new ArrayList<>(List.of("nsenter", "--target", Long.toString(init), "--pid", "--mount", "--"));
        command.addAll(ReapKit.tetherCommand(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("XDG_") || k.equals("CLAUDE_CONFIG_DIR"));
        pb.environment().put("HOME", dir.resolve("home").toString());
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            Cli.Result result = running.await(Duration.ofSeconds(120));
            System.out.println("[tether " + String.join(" ", args) + "]\n" + result.out().strip() + "\n" + result.stderr().strip());
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The listing's rows: one per process, each starting with its pid. */
    private static List<String> rows(Cli.Result listed) {
        return listed.out().lines().filter(l -> l.matches("\\d+\\s+\\S+\\s+\\d+\\s+.*")).toList();
    }

    /** The pids, as the namespace numbers them, of its processes that run (not zombies). */
    private Set<Long> running() {
        return ProcessHandle.of(init).stream().flatMap(h -> h.descendants())
                .map(h -> Path.of("/proc", Long.toString(h.pid())))
                .filter(SweepOrphansIT::notZombie)
                .map(SweepOrphansIT::namespacePid)
                .filter(pid -> pid > 0)
                .collect(Collectors.toSet());
    }

    private static boolean notZombie(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** The last field of {@code NSpid:} in /proc/PID/status: the pid inside the innermost namespace. */
    private static long namespacePid(Path proc) {
        try {
            return Files.readAllLines(proc.resolve("status")).stream().filter(l -> l.startsWith("NSpid:"))
                    .map(l -> l.substring(l.lastIndexOf('\t') + 1).strip()).mapToLong(Long::parseLong).findFirst().orElse(0);
        } catch (IOException e) {
            return 0;
        }
    }

    private long pid(String file) {
        return Long.parseLong(read(file));
    }

    private String read(String file) {
        try {
            return Files.readString(dir.resolve(file)).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private void await(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what + "; namespace log: " + read("namespace.log"));
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }
}
