package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.cli.ReapKit.Tether;
import dev.tether.labeler.ProcessId;
import dev.tether.process.Libc;
import dev.tether.process.Liveness;
import dev.tether.process.Processes;
import dev.tether.process.Signals;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code tether run} guards servers that are not containers: a real stdio MCP server from npm
 * ({@code @modelcontextprotocol/server-filesystem}, through {@code npm exec --offline}), made stubborn (it ignores
 * SIGTERM, SIGHUP and its stdin's end, and starts a {@code setsid} grandchild), started by a real MCP host (the MCP
 * TypeScript SDK's client, {@code clients/guard-host.cjs}) through the real launcher, against a real tether. Each
 * case measures from the host's death (or its closing the server's stdin) to the last process of the tree gone.
 */
@Timeout(600)
class GuardIT {

    /** The guard's grace (tether run --grace) and the tether's (tether up --grace): short, to keep the tests short. */
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final Duration SLACK = ReapKit.SLACK;
    private static final Duration READY = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path modules;

    private Path dir;
    private Tether tether;
    private final List<Host> hosts = new ArrayList<>();
    private final Set<ProcessId> spawned = new LinkedHashSet<>();

    @BeforeAll
    static void npm() throws IOException, InterruptedException {
        Path script = Engine.root().resolve("scripts/npm-mcp");
        Process p = new ProcessBuilder(script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError("scripts/npm-mcp could not provide @modelcontextprotocol/sdk and server-filesystem (it"
                    + " needs npm, and the npm registry on first use); run it by hand to see why");
        }
        modules = Path.of(out);
    }

    @BeforeEach
    void makeDir() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-guard");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // for the case run as nobody
        Files.createDirectory(dir.resolve("fs"));
        Files.writeString(dir.resolve("fs/hello.txt"), "hello");
    }

    @AfterEach
    void cleanUp() {
        for (Host h : hosts) {
            h.process.destroyForcibly();
        }
        for (ProcessId p : spawned) {
            Signals.send(p, Libc.SIGKILL); // only what the test started and recorded, checked by start time
        }
        ReapKit.tearDown("GuardIT", dir, tether);
    }

    // ---------------------------------------------------------------- the MCP server's tree, per way its host goes

    @Test
    void hostSigkilledStopsTheWholeTreeAndASecondHostsServerIsUntouchedUntilItsHostExits() throws Exception {
        tether = Tether.up(dir.resolve("docker.sock"), "--grace", "2s");
        Host a = mcpHost("a", List.of());
        Host b = mcpHost("b", List.of());
        List<ProcessId> treeA = a.tree();
        List<ProcessId> treeB = b.tree();
        for (Host h : List.of(a, b)) {
            assertThat(h.ready.path("tools").toString()).as("tools listed through the guard")
                    .contains("list_allowed_directories", "read_text_file");
            assertThat(h.ready.path("called").asText()).as("a tool called through the guard").contains(dir.resolve("fs").toString());
        }
        String guardA = a.guardFile();
        assertThat(guardA).as("a's guard file").contains("host=" + a.process.pid() + "-")
                .contains("server=" + a.serverPid() + "-").contains("grace=2s").contains("cgroup=/sys/fs/cgroup/");

        ProcessId grandchildA = treeA.getLast();
        assertThat(Files.readString(Path.of("/proc", Long.toString(grandchildA.pid()), "cgroup")))
                .as("the setsid grandchild is in its server's cgroup").contains("/tether/" + a.guardId() + "\n");
        Cli.Result status = tetherStatus();
        assertThat(status.out()).as("tether status").contains("guards    2 `tether run` servers guarded; cgroups under /sys/fs/cgroup/")
                .contains("server pid " + a.serverPid() + " of host pid " + a.process.pid() + ", grace 2000 ms, cgroup /sys/fs/cgroup/");

        long death = System.nanoTime();
        ReapKit.sigkill(a.process.toHandle());
        awaitAllGone(treeA, death, GRACE.plus(SLACK), "(G1) MCP host SIGKILL: npm, node, setsid grandchild");
        tether.awaitLog(l -> l.contains("guard " + a.guardId() + " ended: its host exited (pid " + a.process.pid() + ")"),
                Duration.ofSeconds(10));
        assertThat(treeB).as("b's tree, whose host lives").allMatch(Processes::isAlive);

        long exit = System.nanoTime();
        b.command("exit"); // exits 0 without closing anything, as a host that forgets its servers
        assertThat(b.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(b.process.exitValue()).isZero();
        awaitAllGone(treeB, exit, GRACE.plus(SLACK), "(G4) MCP host exits normally, server forgotten");
        awaitNoGuardFiles();
    }

    @Test
    void hostSighupStopsTheWholeTree() throws Exception {
        tether = Tether.up(dir.resolve("docker.sock"), "--grace", "2s");
        Host a = mcpHost("hup", List.of());
        List<ProcessId> tree = a.tree();
        long death = System.nanoTime();
        signal(a.process.pid(), "HUP"); // node's default: exit, as a host does when its terminal closes
        assertThat(a.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        awaitAllGone(tree, death, GRACE.plus(SLACK), "(G2) MCP host SIGHUP");
    }

    @Test
    void hostThatClosesTheServersStdinAndLivesSeesItStoppedAfterTheGrace() throws Exception {
        tether = Tether.up(dir.resolve("docker.sock"), "--grace", "2s");
        Host a = mcpHost("stdin", List.of());
        List<ProcessId> tree = a.tree();
        long closed = System.nanoTime();
        a.command("close-stdin");
        a.awaitLine(n -> n.has("closed"));
        // The server's grace to exit on its own, then the stop: SIGTERM, the grace again, SIGKILL.
        awaitAllGone(tree, closed, GRACE.multipliedBy(2).plus(SLACK), "(G3) host closes the server's stdin and lives");
        assertThat(a.process.isAlive()).as("the host lives on").isTrue();
        tether.awaitLog(l -> l.contains("guard " + a.guardId() + " ended: its host closed its stdin and it did not exit within 2s"),
                Duration.ofSeconds(10));
    }

    /**
     * The fallback: a tether and a host of a user without root (nobody), so no cgroup: the marker alone finds the
     * setsid grandchild, which left the server's process group and session and was reparented.
     */
    @Test
    void withoutRootTheMarkerStillFindsTheSetsidGrandchild() throws Exception {
        Path home = Files.createDirectory(dir.resolve("nobody"));
        Files.setAttribute(home, "unix:uid", 65534);
        Path socket = home.resolve("docker.sock");
        List<String> up = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "env", "HOME=" + home));
        up.addAll(ReapKit.tetherCommand("up", "--socket", socket.toString(), "--grace", "2s", "--audit-log",
                home.resolve("audit.jsonl").toString(), "--upstream", Engine.endpoint().uri()));
        ProcessBuilder pb = new ProcessBuilder(up);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        tether = Tether.start(pb, socket);
        tether.awaitLog(l -> l.contains("guards: no cgroups"), Duration.ofSeconds(10));

        Host a = mcpHost("nobody", List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "env", "HOME=" + home, "npm_config_cache=" + home.resolve("npm-cache")), socket);
        List<ProcessId> tree = a.tree();
        assertThat(a.guardFile()).as("no cgroup without root").endsWith("cgroup=-\n");
        long death = System.nanoTime();
        ReapKit.sigkill(a.process.toHandle());
        awaitAllGone(tree, death, GRACE.plus(SLACK), "(G5) no root, marker only: MCP host SIGKILL");
    }

    /** Guard files outlive their tether: the next tether on the socket takes them over and keeps their promise. */
    @Test
    void aTetherStartedAfterACrashTakesTheGuardsOverAndStopsTheTreeWhenTheHostDies() throws Exception {
        Path socket = dir.resolve("docker.sock");
        tether = Tether.up(socket, "--grace", "2s");
        String token = "86400." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        String host = "sleep 600 | " + Cli.shellQuote(Engine.root().resolve("tether").toString()) + " run --socket "
                + Cli.shellQuote(socket.toString()) + " --grace 2s -- sh -c "
                + Cli.shellQuote("trap '' TERM; setsid sleep " + token + " & sleep 600; sleep 600") + "; true";
        Process hostProcess = new ProcessBuilder("setsid", "bash", "-c", host).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        hosts.add(new Host(hostProcess, token, "bash"));
        long end = System.nanoTime() + READY.toNanos();
        while (processesWithCommandLine(List.of("sleep", token)).isEmpty()) {
            assertThat(System.nanoTime()).as("the server's setsid sleep started").isLessThan(end);
            ReapKit.pause(20);
        }
        List<ProcessId> tree = new ArrayList<>();
        for (ProcessHandle d : hostProcess.toHandle().descendants().toList()) {
            ProcessId id = Processes.identify(d.pid());
            spawned.add(id);
            if (!Processes.commandLine(d.pid()).equals(List.of("sleep", "600")) || d.parent().map(p -> p.pid() != hostProcess.pid()).orElse(true)) {
                tree.add(id); // all but the host's own pipe writer
            }
        }
        processesWithCommandLine(List.of("sleep", token)).stream().filter(p -> !tree.contains(p)).forEach(tree::add);
        spawned.addAll(tree);
        Path guards = socket.resolveSibling("docker.sock.guards");
        end = System.nanoTime() + READY.toNanos();
        while (true) {
            try (Stream<Path> files = Files.list(guards)) {
                if (files.anyMatch(f -> f.getFileName().toString().matches("\\d+-\\d+"))) {
                    break;
                }
            }
            assertThat(System.nanoTime()).as("a guard file").isLessThan(end);
            ReapKit.pause(20);
        }

        tether.sigkill(); // a crash: nothing stopped, the guard file stays
        assertThat(tree).as("the tree, while no tether runs").allMatch(Processes::isAlive);
        tether = Tether.up(socket, "--grace", "2s");
        tether.awaitLog(l -> l.matches(".* guard \\d+-\\d+: server pid .*"), Duration.ofSeconds(10));

        long death = System.nanoTime();
        ReapKit.sigkill(hostProcess.toHandle());
        awaitAllGone(tree, death, GRACE.plus(SLACK), "(G7) guard taken over by a restarted tether: host SIGKILL");
        awaitNoGuardFiles();
    }

    // ---------------------------------------------------------------- a container behind a wrapper

    /**
     * A stdio MCP server in a container, as stubborn as they come: PID 1 ignores SIGTERM and the end of its stdin,
     * and answers {@code initialize}, {@code tools/list} and {@code tools/call} (one tool, {@code hostname}) with
     * busybox's sh and sed alone, echoing the client's protocol version.
     */
    static final String STUBBORN_MCP_SERVER = """
            trap '' TERM
            while :; do
              if read -r l; then
                id=$(echo "$l" | sed -n 's/.*"id":\\([0-9][0-9]*\\).*/\\1/p')
                case "$l" in
                  *'"method":"initialize"'*)
                    v=$(echo "$l" | sed -n 's/.*"protocolVersion":"\\([^"]*\\)".*/\\1/p')
                    echo '{"jsonrpc":"2.0","id":'"$id"',"result":{"protocolVersion":"'"$v"'","capabilities":{"tools":{}},"serverInfo":{"name":"stubborn","version":"1.0.0"}}}' ;;
                  *'"method":"tools/list"'*)
                    echo '{"jsonrpc":"2.0","id":'"$id"',"result":{"tools":[{"name":"hostname","description":"the hostname of the container","inputSchema":{"type":"object","properties":{}}}]}}' ;;
                  *'"method":"tools/call"'*)
                    echo '{"jsonrpc":"2.0","id":'"$id"',"result":{"content":[{"type":"text","text":"in container '"$(hostname)"'"}]}}' ;;
                  *'"id":'*)
                    echo '{"jsonrpc":"2.0","id":'"$id"',"error":{"code":-32601,"message":"no such method"}}' ;;
                esac
              else
                sleep 1
              fi
            done
            """;

    /** A wrapper an MCP host puts between itself and {@code docker run -i}, one that does not exec it. */
    record Wrapper(String shape, String exe, UnaryOperator<List<String>> wrap) {
        @Override
        public String toString() {
            return shape;
        }
    }

    /** How the host reaches tether: its own DOCKER_HOST, or {@code tether run} in front of the wrapper. */
    enum Route {
        DOCKER_HOST("DOCKER_HOST is tether's socket"), TETHER_RUN("through tether run");

        final String words;

        Route(String words) {
            this.words = words;
        }

        @Override
        public String toString() {
            return words;
        }
    }

    static Stream<Arguments> wrappedDockerServers() throws IOException {
        String sh = Path.of("/bin/sh").toRealPath().getFileName().toString();
        List<Wrapper> wrappers = List.of(
                // "$0" "$@" runs the docker command as given; "; true" after it keeps the shell from exec'ing it
                new Wrapper("sh -c \"docker run -i …; true\"", sh, run -> concat(List.of("sh", "-c", "\"$0\" \"$@\"; true"), run)),
                new Wrapper("bash -lc 'docker run -i …; true'", "bash", run -> concat(List.of("bash", "-lc", "\"$0\" \"$@\"; true"), run)),
                new Wrapper("timeout 8h docker run -i …", "timeout", run -> concat(List.of("timeout", "8h"), run)),
                // npm runs the line with sh -c (which execs docker): the CLI is npm's child, as npx's would be
                new Wrapper("npm exec -c 'docker run -i …'", "node", run -> List.of("npm", "exec", "--offline", "-c",
                        String.join(" ", run.stream().map(Cli::shellQuote).toList()))));
        return wrappers.stream().flatMap(w -> Stream.of(Route.values()).map(r -> Arguments.of(w, r)));
    }

    /**
     * The MCP SDK's client starts a containerised server through a wrapper, lists and calls its tools, and is
     * SIGKILLed: the container and every wrapper process are gone within the grace and a second. Through tether's
     * socket alone the reaper ends the container (the host is among the CLI's recorded ancestors) and the wrappers
     * then exit by themselves; through {@code tether run} the guard also stops the wrappers.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("wrappedDockerServers")
    void aDockerServerBehindAWrapperGoesWithItsSdkHost(Wrapper wrapper, Route route) throws Exception {
        Path socket = dir.resolve("docker.sock");
        tether = Tether.up(socket, "--grace", "2s");
        String name = Engine.name("guard-wrapped");
        List<String> run = List.of(Cli.NEW, "run", "-i", "--rm", "--network", "none", "--label", Engine.labelArg(),
                "--name", name, Engine.TEST_IMAGE, "sh", "-c", STUBBORN_MCP_SERVER);
        List<String> server = new ArrayList<>();
        if (route == Route.TETHER_RUN) {
            server.addAll(List.of(Engine.root().resolve("tether").toString(), "run", "--socket", socket.toString(),
                    "--grace", "2s", "--"));
        }
        server.addAll(wrapper.wrap().apply(run));
        Path clients = Engine.root().resolve("cli/src/test/resources/clients");
        List<String> command = new ArrayList<>(List.of("node", clients.resolve("guard-host.cjs").toString(), modules.toString()));
        command.addAll(server);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        ReapKit.dockerEnv(pb.environment(), socket);
        pb.environment().remove(Guards_MARKER);
        pb.environment().put("GUARD_HOST_TOOL", "hostname");
        if (route == Route.TETHER_RUN) {
            pb.environment().put("DOCKER_HOST", Engine.endpoint().uri()); // tether run points the CLI at tether
        }
        Host host = new Host(pb.start(), "", wrapper.shape());
        hosts.add(host);
        host.ready = host.awaitLine(n -> n.has("ready"));
        assertThat(host.ready.path("tools").toString()).as("tools listed through the wrapper").contains("hostname");
        JsonNode container = Engine.awaitContainer(name, Engine::running, "the wrapped docker server running", READY);
        assertThat(host.ready.path("called").asText()).as("a tool called in the container")
                .isEqualTo("in container " + container.at("/Config/Hostname").asText());

        List<ProcessId> tree = new ArrayList<>();
        for (ProcessHandle child : host.process.toHandle().descendants().toList()) {
            ProcessId id = Processes.identify(child.pid());
            if (id.isKnown()) {
                tree.add(id);
            }
        }
        spawned.addAll(tree);
        assertThat(tree.stream().map(ProcessId::exeName).toList()).as("the wrapper and the docker CLI under the host")
                .contains(wrapper.exe(), "docker");

        long death = System.nanoTime();
        ReapKit.sigkill(host.process.toHandle());
        String what = "(W) SDK host SIGKILL, " + wrapper + ", " + route;
        ReapKit.awaitGoneWithin(name, death, GRACE.plus(SLACK), what + ": container");
        awaitAllGone(tree, death, GRACE.plus(SLACK), what + ": " + tree.stream().map(ProcessId::exeName).distinct().toList());
    }

    // ---------------------------------------------------------------- the host still sees its own child

    @Test
    void theCommandsExitStatusAndTheHostsSigtermPassThroughTheGuard() throws Exception {
        Path socket = dir.resolve("docker.sock");
        tether = Tether.up(socket, "--grace", "2s");
        Process exit7 = runner(socket, "sh", "-c", "exit 7").start();
        assertThat(exit7.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(exit7.exitValue()).as("exit status passed through").isEqualTo(7);

        Path out = dir.resolve("trapping.out");
        Process trapping = runner(socket, "sh", "-c",
                "trap 'echo got TERM; exit 5' TERM; echo ready; while :; do sleep 0.1; done")
                .redirectOutput(out.toFile()).start();
        awaitFileContains(out, "ready\n");
        String id = trapping.pid() + "-" + ReapKit.startTicks(trapping.pid());
        assertThat(Files.exists(socket.resolveSibling("docker.sock.guards").resolve(id))).as("its guard file").isTrue();
        trapping.destroy(); // SIGTERM from its parent, this JVM, as an MCP host stops its server
        assertThat(trapping.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(trapping.exitValue()).as("the server's own exit status after the host's SIGTERM").isEqualTo(5);
        assertThat(Files.readString(out)).as("the server's trap ran").isEqualTo("ready\ngot TERM\n");
        tether.awaitLog(l -> l.contains("guard " + id + " ended: its server exited; 0 processes"), Duration.ofSeconds(10));
        awaitNoGuardFiles();
    }

    // ---------------------------------------------------------------- the kit

    private static List<String> concat(List<String> first, List<String> then) {
        List<String> all = new ArrayList<>(first);
        all.addAll(then);
        return all;
    }

    private ProcessBuilder runner(Path socket, String... command) {
        List<String> args = new ArrayList<>(List.of(Engine.root().resolve("tether").toString(), "run", "--socket",
                socket.toString(), "--grace", "2s", "--"));
        args.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(args).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        return pb;
    }

    private Host mcpHost(String label, List<String> prefix) throws Exception {
        return mcpHost(label, prefix, dir.resolve("docker.sock"));
    }

    /** The SDK client as host, through {@code prefix} (setpriv …), its server stubborn, with a setsid grandchild. */
    private Host mcpHost(String label, List<String> prefix, Path socket) throws Exception {
        String token = "86400." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000); // sleep's argument, found by it
        Path clients = Engine.root().resolve("cli/src/test/resources/clients");
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("node", clients.resolve("guard-host.cjs").toString(), modules.toString(),
                Engine.root().resolve("tether").toString(), "run", "--socket", socket.toString(), "--grace", "2s", "--",
                "npm", "exec", "--offline", "--prefix", modules.getParent().toString(), "--", "mcp-server-filesystem",
                dir.resolve("fs").toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.equals(Guards_MARKER));
        env.put("GUARD_TEST_TOKEN", token);
        env.put("NODE_OPTIONS", "--require " + clients.resolve("guard-preload.cjs"));
        Host host = new Host(pb.start(), token, label);
        hosts.add(host);
        host.ready = host.awaitLine(n -> n.has("ready"));
        host.guardId = host.serverPid() + "-" + ReapKit.startTicks(host.serverPid()); // while it lives
        return host;
    }

    /** The variable the guard marks a tree with: a test JVM started under `tether run` must not pass it on. */
    private static final String Guards_MARKER = "TETHER_GUARD";

    private final class Host {
        final Process process;
        final String token;
        final String label;
        final OutputStream in;
        final BufferedReader out;
        JsonNode ready;
        String guardId;

        Host(Process process, String token, String label) {
            this.process = process;
            this.token = token;
            this.label = label;
            this.in = process.getOutputStream();
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        JsonNode awaitLine(java.util.function.Predicate<JsonNode> match) throws Exception {
            long end = System.nanoTime() + READY.toNanos();
            while (System.nanoTime() < end) {
                String line = out.readLine(); // the host prints only its JSON lines; a hung host fails by @Timeout
                if (line == null) {
                    throw new AssertionError("host " + label + " ended its output (exit " + process.waitFor() + ")");
                }
                JsonNode node = JSON.readTree(line);
                if (node.has("error")) {
                    throw new AssertionError("host " + label + ": " + node.path("error").asText());
                }
                if (match.test(node)) {
                    return node;
                }
            }
            throw new AssertionError("host " + label + " said nothing such within " + READY);
        }

        void command(String line) throws IOException {
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        long serverPid() {
            return ready.path("serverPid").asLong();
        }

        String guardId() {
            return guardId;
        }

        String guardFile() throws IOException {
            return Files.readString(tether.socket.resolveSibling(tether.socket.getFileName() + ".guards").resolve(guardId()));
        }

        /**
         * The server's tree: npm (the process `tether run` became), its shell, the server's node, and the setsid
         * grandchild, found by its token once the server has started it.
         */
        List<ProcessId> tree() {
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                List<ProcessId> tree = new ArrayList<>();
                tree.add(Processes.identify(serverPid()));
                ProcessHandle.of(serverPid()).ifPresent(s -> s.descendants()
                        .forEach(d -> tree.add(Processes.identify(d.pid()))));
                List<ProcessId> grandchild = processesWithCommandLine(List.of("sleep", token));
                if (grandchild.size() == 1) {
                    tree.addAll(grandchild);
                    tree.removeIf(p -> !p.isKnown());
                    spawned.addAll(tree);
                    assertThat(tree.stream().map(ProcessId::exeName).toList()).as("host %s's server tree", label)
                            .contains("node", "sleep");
                    assertThat(tree.size()).as("npm, its shell, the server, the grandchild: %s", tree).isGreaterThanOrEqualTo(4);
                    assertThat(ReapKit.processGroup(grandchild.getFirst().pid()))
                            .as("the grandchild left the server's process group").isNotEqualTo(ReapKit.processGroup(serverPid()));
                    return tree;
                }
                if (System.nanoTime() > end) {
                    throw new AssertionError("host " + label + "'s server started no `sleep " + token + "`");
                }
                ReapKit.pause(50);
            }
        }
    }

    /** Polls every 20 ms until every process of {@code tree} is gone (zombies count: they have exited). */
    private static void awaitAllGone(List<ProcessId> tree, long eventNanos, Duration budget, String what) {
        long giveUp = eventNanos + budget.plusSeconds(10).toNanos();
        List<ProcessId> alive = tree;
        while (true) {
            alive = alive.stream().filter(p -> Processes.liveness(p) != Liveness.DEAD).toList();
            long now = System.nanoTime();
            if (alive.isEmpty()) {
                Duration took = Duration.ofNanos(now - eventNanos);
                ReapKit.report(what + " (" + tree.size() + " processes)", took, budget);
                assertThat(took).as("%s: the last process gone", what).isLessThanOrEqualTo(budget);
                return;
            }
            if (now > giveUp) {
                ReapKit.report(what, null, budget);
                throw new AssertionError(what + ": still alive " + budget.plusSeconds(10) + " after: "
                        + alive.stream().map(p -> p.pid() + " " + Processes.commandLine(p.pid())).toList());
            }
            ReapKit.pause(20);
        }
    }

    private void awaitNoGuardFiles() {
        Path folder = tether.socket.resolveSibling(tether.socket.getFileName() + ".guards");
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            List<String> left;
            try (Stream<Path> files = Files.list(folder)) {
                left = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+-\\d+")).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("guard files left in " + folder + ": " + left);
            }
            ReapKit.pause(50);
        }
    }

    /** {@code tether status --socket S}, to its end. */
    private Cli.Result tetherStatus() throws IOException {
        List<String> command = ReapKit.tetherCommand("status", "--socket", tether.socket.toString());
        try (Cli.Running running = new Cli.Running(String.join(" ", command), new ProcessBuilder(command).start())) {
            return running.await(Duration.ofSeconds(60));
        }
    }

    private static void awaitFileContains(Path file, String text) throws IOException {
        long end = System.nanoTime() + READY.toNanos();
        while (!(Files.exists(file) && Files.readString(file).contains(text))) {
            if (System.nanoTime() > end) {
                throw new AssertionError(file + " never held " + text);
            }
            ReapKit.pause(20);
        }
    }

    private static List<ProcessId> processesWithCommandLine(List<String> commandLine) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).map(Long::parseLong)
                    .filter(pid -> Processes.commandLine(pid).equals(commandLine)).map(Processes::identify)
                    .filter(ProcessId::isKnown).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void signal(long pid, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("/bin/kill", "-s", signal, Long.toString(pid)).redirectErrorStream(true).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }
}
