package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/**
 * Issue 14, "transparent for every client": while the process that created a container lives and its session is
 * open, every answer it gets through tether is what the engine alone would give, except tether's labels. Each client
 * performs each of its operations twice, at once: with DOCKER_HOST at a real {@code tether up} (default options, or
 * {@code -Dtether.matrix.args="--tie none"}) and at the engine's own socket. The two answers must be equal once
 * container ids, this run's names and timestamps are normalised and {@code dev.tether.*} labels dropped. The matrix
 * (client × operation: same/DIFF) is printed to stdout.
 *
 * <p>Operations: {@code version} (version and ping), {@code lifecycle} (create, inspect HostConfig, start, wait,
 * logs, remove), {@code run-rm} (the client's own run-and-remove), {@code exec} (with its exit code), {@code archive}
 * (put and get), {@code attach-stdin} (stdin over a hijacked connection: a line, half-close, the rest, exit code,
 * remove), {@code events} (a container filter, bounded by since/until), {@code stats} (one-shot), and
 * {@code restart-policy}: an {@code unless-stopped} container created by a program that then exits still runs
 * {@link ReapKit#GRACE} + {@link ReapKit#SLACK} and more after that exit. Cells left out, because the client has no
 * such operation:
 * <ul>
 *   <li>docker-compose v1: version (client-side only), lifecycle (compose has no create/wait/logs-by-container
 *       flow of its own beyond run), archive (v1 has no {@code cp}), events (unbounded: no since/until), stats;
 *       its {@code attach-stdin} is {@code run --rm -T app cat} with stdin piped.</li>
 *   <li>docker-java: run-rm (no run helper; lifecycle is its form). Its attach runs {@code head -n 1}, not
 *       {@code cat}: docker-java 3.7 on httpclient5 never half-closes the attach when its stdin ends.</li>
 *   <li>Testcontainers-java: version, lifecycle, attach-stdin, events, stats (not its API); run-rm is a one-shot
 *       container started and closed, and it has logs.</li>
 *   <li>testcontainers-node: the above, and restart-policy (it has no restart-policy option); run-rm is start
 *       (with a log wait) and stop.</li>
 *   <li>the docker CLIs: ping (no command); their attach-stdin is {@code run -i} then {@code rm}.</li>
 * </ul>
 *
 * <p>The session rule, second test: for each client that can hold a stdin session (both CLIs' {@code run -i},
 * docker-py {@code attach_socket}, dockerode's hijacked attach, docker-java's attach with stdin, compose
 * {@code run -T} with stdin piped: compose without {@code -T} needs a terminal), a session through tether whose
 * container ignores SIGTERM and the end of stdin ends when the client is SIGKILLed: the container is stopped and
 * removed within grace + slack.
 *
 * <p>Needs: python3 with python3-docker, docker-compose v1, node with npm ({@code scripts/npm-clients} installs the
 * pinned dockerode and testcontainers on first use), both docker CLIs.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientMatrixIT {

    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final String STUBBORN = "trap \"\" TERM; while :; do sleep 1; done";
    private static final Duration CLIENT_DEADLINE = Duration.ofSeconds(90);
    private static final List<String> OPS = List.of("version", "lifecycle", "run-rm", "exec", "archive", "attach-stdin",
            "events", "stats", "logs", "stop", "restart-policy");

    private static Path dir;
    private static Path nodeModules;
    private static Path scripts;
    private static ReapKit.Tether tether;

    /** Which socket a run talks to. */
    enum Side {
        TETHER, ENGINE;

        Path socket() {
            return this == TETHER ? tether.socket : Engine.socket();
        }
    }

    /** A client: runs every operation it has against one side, returns operation → what it saw (raw JSON). */
    private record Client(String name, BiFunction<Side, String, Map<String, JsonNode>> matrix) {}

    /** One cell: the normalised answers of both sides. */
    private record Cell(String client, String op, String tether, String engine) {
        boolean same() {
            return tether.equals(engine);
        }
    }

    @BeforeAll
    static void up() throws IOException, InterruptedException, URISyntaxException {
        Engine.ensureImage();
        nodeModules = npmClients();
        scripts = Path.of(ClientMatrixIT.class.getResource("/clients/docker_py.py").toURI()).getParent();
        dir = Files.createTempDirectory(Path.of("/tmp"), "matrix");
        String extra = System.getProperty("tether.matrix.args", "").strip();
        tether = ReapKit.Tether.up(dir.resolve("t.sock"), extra.isEmpty() ? new String[0] : extra.split("\\s+"));
        System.out.println("[matrix] tether up " + (extra.isEmpty() ? "(defaults)" : extra));
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("ClientMatrixIT", dir, tether);
    }

    private static Path npmClients() throws IOException, InterruptedException {
        Path script = Engine.root().resolve("scripts/npm-clients");
        Process p = new ProcessBuilder(script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(java.util.concurrent.TimeUnit.MINUTES.toMillis(5), java.util.concurrent.TimeUnit.MILLISECONDS)
                || p.exitValue() != 0) {
            throw new AssertionError("scripts/npm-clients could not provide dockerode and testcontainers (it needs npm, and the"
                    + " npm registry on first use); run it by hand to see why");
        }
        return Path.of(out);
    }

    // ---------------------------------------------------------------- the transparency matrix

    @Test
    @Order(1)
    void everyClientGetsThroughTetherWhatTheEngineAloneGives() {
        List<Client> clients = List.of(
                new Client("docker " + version(Cli.NEW), (side, prefix) -> dockerCli(Cli.NEW, side, prefix)),
                new Client("docker " + version(Cli.OLD), (side, prefix) -> dockerCli(Cli.OLD, side, prefix)),
                new Client("docker-compose v1", ClientMatrixIT::compose),
                new Client("docker-py", (side, prefix) -> script(side, List.of("/usr/bin/python3", scripts.resolve("docker_py.py").toString()), prefix)),
                new Client("dockerode", (side, prefix) -> script(side, List.of("node", scripts.resolve("dockerode.js").toString()), prefix)),
                new Client("docker-java", (side, prefix) -> script(side, javaChild("docker-java"), prefix)),
                new Client("Testcontainers-java", (side, prefix) -> script(side, javaChild("testcontainers"), prefix)),
                new Client("testcontainers-node", (side, prefix) -> script(side, List.of("node", scripts.resolve("testcontainers.js").toString()), prefix)));

        List<Cell> cells = new ArrayList<>();
        Map<String, String> restartNames = new LinkedHashMap<>(); // "client|side" → container name
        Map<String, Map<Side, Map<String, JsonNode>>> raw = new LinkedHashMap<>();
        // Two clients at a time (each with its two sides at once): the machine has 2 cores, and most of a client's time
        // is the engine starting containers, not CPU.
        var lanes = new Semaphore(2);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<String, CompletableFuture<Map<Side, Map<String, JsonNode>>>> perClient = new LinkedHashMap<>();
            for (Client client : clients) {
                perClient.put(client.name(), CompletableFuture.supplyAsync(() -> {
                    lanes.acquireUninterruptibly();
                    try {
                        long started = System.nanoTime();
                        Map<Side, CompletableFuture<Map<String, JsonNode>>> running = new LinkedHashMap<>();
                        for (Side side : Side.values()) {
                            String prefix = prefix(client.name(), side);
                            running.put(side, CompletableFuture.supplyAsync(() -> client.matrix().apply(side, prefix), pool));
                        }
                        Map<Side, Map<String, JsonNode>> both = new LinkedHashMap<>();
                        running.forEach((side, f) -> both.put(side, f.join()));
                        System.out.printf("[matrix] %-38s %5d ms%n", client.name(), Duration.ofNanos(System.nanoTime() - started).toMillis());
                        return both;
                    } finally {
                        lanes.release();
                    }
                }, pool));
            }
            perClient.forEach((name, f) -> raw.put(name, f.join()));
        }
        for (var client : raw.entrySet()) {
            for (Side side : Side.values()) {
                JsonNode restart = client.getValue().get(side).get("restart-policy");
                if (restart != null && restart.hasNonNull("name")) {
                    restartNames.put(client.getKey() + "|" + side, restart.get("name").asText());
                }
            }
        }

        // The restart-policy containers: their programs have exited; each must keep running past the reaper's reach.
        Map<String, String> fate = restartFate(restartNames);
        for (var client : raw.entrySet()) {
            for (Side side : Side.values()) {
                ObjectNode restart = (ObjectNode) client.getValue().get(side).get("restart-policy");
                if (restart != null) {
                    restart.put("afterItsProgramExited", fate.getOrDefault(client.getKey() + "|" + side, "never created"));
                }
            }
            Set<String> ops = new LinkedHashSet<>(client.getValue().get(Side.TETHER).keySet());
            ops.addAll(client.getValue().get(Side.ENGINE).keySet());
            for (String op : ops) {
                cells.add(new Cell(client.getKey(), op,
                        normalise(client.getValue().get(Side.TETHER).get(op), prefix(client.getKey(), Side.TETHER)),
                        normalise(client.getValue().get(Side.ENGINE).get(op), prefix(client.getKey(), Side.ENGINE))));
            }
        }
        restartNames.values().forEach(Engine::remove);

        printMatrix("transparency (tether vs engine)", cells.stream().map(c -> Map.entry(c.client() + "\0" + c.op(), c.same() ? "same" : "DIFF")).toList());
        List<String> differences = new ArrayList<>();
        for (Cell c : cells) {
            if (!c.same()) {
                differences.add("[" + c.client() + " / " + c.op() + "]" + describeDifference(c));
            }
        }
        differences.forEach(d -> System.out.println("[matrix] DIFF " + d));
        for (var client : raw.entrySet()) {
            JsonNode engineRestart = client.getValue().get(Side.ENGINE).get("restart-policy");
            if (engineRestart != null) {
                assertThat(engineRestart.path("afterItsProgramExited").asText())
                        .as("%s: the reference (engine alone) keeps the restart-policy container", client.getKey()).isEqualTo("running");
            }
        }
        assertThat(differences).as("answers through tether that differ from the engine's own").isEmpty();
    }

    /** Polls every restart-policy container over one window that starts after the last program exited. */
    private static Map<String, String> restartFate(Map<String, String> names) {
        Map<String, String> fate = new LinkedHashMap<>();
        long end = System.nanoTime() + GRACE.plus(SLACK).plusSeconds(1).toNanos();
        do {
            for (var e : names.entrySet()) {
                if (fate.containsKey(e.getKey())) {
                    continue;
                }
                Optional<JsonNode> c = Engine.find(e.getValue());
                if (c.isEmpty()) {
                    fate.put(e.getKey(), "gone");
                } else if (!Engine.running(c.get())) {
                    fate.put(e.getKey(), "not running: " + c.get().at("/State/Status").asText());
                }
            }
            Engine.pause(100);
        } while (System.nanoTime() < end);
        names.keySet().forEach(k -> fate.putIfAbsent(k, "running"));
        return fate;
    }

    // ---------------------------------------------------------------- the session rule

    @Test
    @Order(2)
    void aKilledClientEndsItsStdinSessionThroughTether() throws Exception {
        Path composeFile = composeFile(Side.TETHER);
        String project = prefix("compose-session", Side.TETHER);
        Map<String, Cli.Running> sessions = new LinkedHashMap<>();
        Map<String, String> names = new LinkedHashMap<>();
        try {
            for (String cli : List.of(Cli.NEW, Cli.OLD)) {
                Cli.requireInstalled(cli);
                String client = "docker " + version(cli);
                String name = Engine.name("session-cli");
                names.put(client, name);
                sessions.put(client, new Cli(cli, tether.socket).start("run", "-i", "--name", name, "--label", Engine.labelArg(),
                        "--network", "none", Engine.TEST_IMAGE, "sh", "-c", STUBBORN));
            }
            names.put("docker-compose v1", Engine.name("session-compose"));
            sessions.put("docker-compose v1", start(composeCommand(composeFile, project, "run", "-T", "--name",
                    names.get("docker-compose v1"), "app", "sh", "-c", STUBBORN), Side.TETHER));
            Map<String, List<String>> scripted = new LinkedHashMap<>();
            scripted.put("docker-py", List.of("/usr/bin/python3", scripts.resolve("docker_py.py").toString()));
            scripted.put("dockerode", List.of("node", scripts.resolve("dockerode.js").toString()));
            scripted.put("docker-java", javaChild("docker-java"));
            for (var s : scripted.entrySet()) {
                String name = Engine.name("session-" + s.getKey());
                names.put(s.getKey(), name);
                List<String> command = new ArrayList<>(s.getValue());
                command.addAll(List.of("session", name, Engine.RUN_ID, Engine.TEST_IMAGE));
                sessions.put(s.getKey(), start(command, Side.TETHER));
            }

            for (var s : sessions.entrySet()) {
                String name = names.get(s.getKey());
                Engine.awaitContainer(name, Engine::running, "running (the session of " + s.getKey() + ")", Duration.ofSeconds(60));
                assertThat(s.getValue().isAlive()).as("%s holds its session", s.getKey()).isTrue();
            }

            List<Map.Entry<String, String>> cells = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (var s : sessions.entrySet()) {
                String name = names.get(s.getKey());
                long death = System.nanoTime();
                ReapKit.sigkill(s.getValue().process().toHandle());
                try {
                    Duration took = ReapKit.awaitGoneWithin(name, death, GRACE.plus(SLACK), "client SIGKILL [" + s.getKey() + "]");
                    cells.add(Map.entry(s.getKey() + "\0session-kill", "gone " + took.toMillis() + "ms"));
                } catch (AssertionError e) {
                    cells.add(Map.entry(s.getKey() + "\0session-kill", "NOT GONE"));
                    failures.add(s.getKey() + ": " + e.getMessage());
                    Engine.remove(name);
                }
            }
            printMatrix("session rule (client SIGKILL → container stopped and removed within " + GRACE.plus(SLACK).toMillis() + " ms)", cells);
            assertThat(failures).as("sessions whose container outlived its killed client").isEmpty();
        } finally {
            sessions.values().forEach(Cli.Running::close);
            names.values().forEach(Engine::remove);
        }
    }

    // ---------------------------------------------------------------- the clients

    private static String prefix(String client, Side side) {
        return "tether-it-" + Engine.RUN_ID + "-mx-" + client.toLowerCase().replaceAll("[^a-z0-9]+", "") + "-" + side.name().toLowerCase();
    }

    private static String version(String cli) {
        return cli.equals(Cli.NEW) ? "CLI 28 (" + cli + ")" : "CLI 20.10 (" + cli + ")";
    }

    private static Map<String, String> env(Side side) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DOCKER_HOST", "unix://" + side.socket());
        env.put("NODE_PATH", nodeModules.toString());
        env.put("TESTCONTAINERS_RYUK_DISABLED", "true");
        // In a container (/.dockerenv) Testcontainers finds the host by running an image no registry here can give.
        env.put("TESTCONTAINERS_HOST_OVERRIDE", "localhost");
        env.put("TESTCONTAINERS_DOCKER_CLIENT_STRATEGY", "org.testcontainers.dockerclient.EnvironmentAndSystemPropertyClientProviderStrategy");
        return env;
    }

    private static Cli.Running start(List<String> command, Side side) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("TESTCONTAINERS_") || k.startsWith("COMPOSE_"));
        pb.environment().putAll(env(side));
        pb.environment().put("DOCKER_CONFIG", dir.resolve("docker-config").toString());
        try {
            return new Cli.Running(String.join(" ", command), pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    private static Cli.Result run(List<String> command, Side side, String stdin) {
        try (Cli.Running r = start(command, side)) {
            Thread.ofVirtual().start(() -> {
                try {
                    r.write(stdin);
                } catch (UncheckedIOException ignored) {
                    // it stopped reading: its result says why
                }
                r.closeStdin();
            });
            return r.await(CLIENT_DEADLINE);
        }
    }

    private static List<String> javaChild(String client) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + dir.resolve("java-home-" + client), "-cp", System.getProperty("java.class.path"),
                ClientMatrixJavaChild.class.getName(), client);
    }

    /** A client program that prints {@code OP <name> <json>} lines: every operation it has, in one run. */
    private static Map<String, JsonNode> script(Side side, List<String> program, String prefix) {
        List<String> command = new ArrayList<>(program);
        command.addAll(List.of("matrix", prefix, Engine.RUN_ID, Engine.TEST_IMAGE));
        Cli.Result result = run(command, side, "");
        Map<String, JsonNode> ops = new LinkedHashMap<>();
        for (String line : result.out().lines().toList()) {
            if (line.startsWith("OP ")) {
                int space = line.indexOf(' ', 3);
                ops.put(line.substring(3, space), parse(line.substring(space + 1)));
            }
        }
        if (result.exitCode() != 0) {
            ops.put("exit", JSON.createObjectNode().put("exit", result.exitCode()).put("stderr", tail(result.stderr())));
        }
        return ops;
    }

    private static Map<String, JsonNode> dockerCli(String binary, Side side, String prefix) {
        Cli.requireInstalled(binary);
        Cli docker = new Cli(binary, side.socket());
        List<String> common = List.of("--label", Engine.labelArg(), "--network", "none");
        Map<String, JsonNode> ops = new LinkedHashMap<>();

        ops.put("version", result(docker.run("version", "--format", "{{json .Server}}")));

        ObjectNode life = JSON.createObjectNode();
        String n = prefix + "-life";
        life.set("create", result(docker.run(args("create", "--name", n, common, Engine.TEST_IMAGE, "sh", "-c", "echo out; echo err >&2; exit 3"))));
        life.set("hostConfig", parse(docker.run("inspect", "--format", "{{json .HostConfig}}", n).out()));
        life.set("start", result(docker.run("start", n)));
        life.set("wait", result(docker.run("wait", n)));
        life.set("logs", result(docker.run("logs", n)));
        life.set("rm", result(docker.run("rm", n)));
        ops.put("lifecycle", life);

        ops.put("run-rm", result(docker.run(args("run", "--rm", "--name", prefix + "-runrm", common, Engine.TEST_IMAGE, "sh", "-c", "echo ok; exit 4"))));

        ObjectNode exec = JSON.createObjectNode();
        n = prefix + "-exec";
        exec.set("run", result(docker.run(args("run", "-d", "--name", n, common, Engine.TEST_IMAGE, "sleep", "600"))));
        exec.set("exec", result(docker.run("exec", n, "sh", "-c", "echo exec-out; exit 5")));
        exec.set("rm", result(docker.run("rm", "-f", n)));
        ops.put("exec", exec);

        ObjectNode archive = JSON.createObjectNode();
        n = prefix + "-archive";
        archive.set("create", result(docker.run(args("create", "--name", n, common, Engine.TEST_IMAGE, "sleep", "600"))));
        try {
            Path file = Files.writeString(dir.resolve(prefix + "-hello.txt"), "hello archive\n");
            archive.set("put", result(docker.run("cp", file.toString(), n + ":/tmp/hello.txt")));
            Cli.Result get = docker.run("cp", n + ":/tmp/hello.txt", "-");
            archive.set("get", get.exitCode() == 0
                    ? ClientMatrixJavaChild.untarFirst(new java.io.ByteArrayInputStream(get.stdout())) : result(get));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        archive.set("rm", result(docker.run("rm", "-f", n)));
        ops.put("archive", archive);

        ObjectNode attach = JSON.createObjectNode();
        n = prefix + "-attach";
        attach.set("run", result(docker.run("hello stdin\n".getBytes(StandardCharsets.UTF_8), CLIENT_DEADLINE,
                args("run", "-i", "--name", n, common, Engine.TEST_IMAGE, "cat"))));
        attach.set("rm", result(docker.run("rm", n)));
        ops.put("attach-stdin", attach);

        ObjectNode events = JSON.createObjectNode();
        n = prefix + "-events";
        long since = System.currentTimeMillis() / 1000 - 1;
        events.set("run", result(docker.run(args("run", "--name", n, common, Engine.TEST_IMAGE, "true"))));
        events.set("rm", result(docker.run("rm", n)));
        long until = System.currentTimeMillis() / 1000 + 1;
        Cli.Result seen = docker.run("events", "--since", Long.toString(since), "--until", Long.toString(until),
                "--filter", "container=" + n, "--format", "{{json .}}");
        ArrayNode list = events.putArray("events");
        seen.out().lines().filter(l -> !l.isBlank()).map(ClientMatrixIT::parse)
                .forEach(e -> list.addArray().add(e.path("Type")).add(e.path("Action")).add(e.at("/Actor/Attributes")));
        events.put("exit", seen.exitCode());
        ops.put("events", events);

        ObjectNode stats = JSON.createObjectNode();
        n = prefix + "-stats";
        stats.set("run", result(docker.run(args("run", "-d", "--name", n, common, Engine.TEST_IMAGE, "sleep", "600"))));
        stats.set("stats", result(docker.run("stats", "--no-stream", "--format", "{{.Name}}", n)));
        stats.set("rm", result(docker.run("rm", "-f", n)));
        ops.put("stats", stats);

        n = prefix + "-restart";
        ObjectNode restart = result(docker.run(args("run", "-d", "--restart", "unless-stopped", "--name", n, common, Engine.TEST_IMAGE, "sleep", "600")));
        restart.put("name", n);
        ops.put("restart-policy", restart);
        return ops;
    }

    private static Path composeFile(Side side) {
        String yml = """
                version: "2.4"
                services:
                  app:
                    image: %1$s
                    network_mode: none
                    labels:
                      dev.tether.test: "%2$s"
                  svc:
                    image: %1$s
                    command: ["sleep", "600"]
                    network_mode: none
                    labels:
                      dev.tether.test: "%2$s"
                  keeper:
                    image: %1$s
                    command: ["sleep", "600"]
                    restart: unless-stopped
                    network_mode: none
                    labels:
                      dev.tether.test: "%2$s"
                """.formatted(Engine.TEST_IMAGE, Engine.RUN_ID);
        try {
            Path folder = Files.createDirectories(dir.resolve("compose-" + side.name().toLowerCase()));
            return Files.writeString(folder.resolve("docker-compose.yml"), yml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> composeCommand(Path file, String project, String... args) {
        List<String> command = new ArrayList<>(List.of("/usr/bin/docker-compose", "--ansi", "never", "-f", file.toString(), "-p", project));
        command.addAll(List.of(args));
        return command;
    }

    private static Map<String, JsonNode> compose(Side side, String prefix) {
        Path file = composeFile(side);
        Map<String, JsonNode> ops = new LinkedHashMap<>();
        ops.put("run-rm", result(run(composeCommand(file, prefix, "run", "--rm", "-T", "app", "echo", "ok"), side, "")));
        ops.put("attach-stdin", result(run(composeCommand(file, prefix, "run", "--rm", "-T", "app", "cat"), side, "hello stdin\n")));
        ObjectNode exec = JSON.createObjectNode();
        exec.set("up", result(run(composeCommand(file, prefix, "up", "-d", "svc"), side, "")));
        exec.set("exec", result(run(composeCommand(file, prefix, "exec", "-T", "svc", "sh", "-c", "echo exec-out; exit 5"), side, "")));
        exec.set("rm", result(run(composeCommand(file, prefix, "rm", "-s", "-f", "svc"), side, "")));
        ops.put("exec", exec);
        ObjectNode restart = result(run(composeCommand(file, prefix, "up", "-d", "keeper"), side, ""));
        restart.put("name", prefix + "_keeper_1");
        ops.put("restart-policy", restart);
        return ops;
    }

    private static String[] args(Object... parts) {
        List<String> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof List<?> l) {
                l.forEach(x -> out.add((String) x));
            } else {
                out.add((String) p);
            }
        }
        return out.toArray(String[]::new);
    }

    private static ObjectNode result(Cli.Result r) {
        return JSON.createObjectNode().put("exit", r.exitCode()).put("stdout", r.out()).put("stderr", r.stderr());
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return TextNode.valueOf(json);
        }
    }

    private static String tail(String s) {
        return s.length() > 2000 ? "…" + s.substring(s.length() - 2000) : s;
    }

    // ---------------------------------------------------------------- normalising

    private static final Pattern LONG_ID = Pattern.compile("\\b[0-9a-f]{64}\\b");
    private static final Pattern SHORT_ID = Pattern.compile("\\b[0-9a-f]{12}\\b");
    private static final Pattern COMPOSE_RUN = Pattern.compile("_run_[0-9a-f]+");
    private static final Pattern TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)");

    /** What legitimately differs between the two sides goes: ids, this side's names, timestamps, tether's labels. */
    static String normalise(JsonNode node, String prefix) {
        if (node == null) {
            return "(no answer: the client did not get this far)";
        }
        try {
            return JSON.writeValueAsString(JSON.readTree(JSON.writeValueAsString(strip(node.deepCopy(), prefix))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode strip(JsonNode node, String prefix) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            o.properties().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                if (!e.getKey().startsWith("dev.tether.")) {
                    out.set(text(e.getKey(), prefix), strip(e.getValue(), prefix));
                }
            });
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(n -> out.add(strip(n, prefix)));
            return out;
        }
        return node.isTextual() ? TextNode.valueOf(text(node.asText(), prefix)) : node;
    }

    private static String text(String s, String prefix) {
        s = s.replace(prefix, "<prefix>").replace(tether.socket.toString(), "<socket>").replace(Engine.socket().toString(), "<socket>");
        s = LONG_ID.matcher(s).replaceAll("<id>");
        s = SHORT_ID.matcher(s).replaceAll("<id>");
        s = COMPOSE_RUN.matcher(s).replaceAll("_run_<id>");
        return TIME.matcher(s).replaceAll("<time>");
    }

    /** Where the two answers part: each differing path with both values (long values cut). */
    private static String describeDifference(Cell c) {
        List<String> lines = new ArrayList<>();
        difference("", parse(c.tether()), parse(c.engine()), lines);
        StringBuilder b = new StringBuilder();
        lines.forEach(l -> b.append("\n  ").append(l));
        return b.toString();
    }

    private static void difference(String path, JsonNode tether, JsonNode engine, List<String> out) {
        if (tether != null && engine != null && tether.isObject() && engine.isObject()) {
            Set<String> keys = new java.util.TreeSet<>();
            tether.fieldNames().forEachRemaining(keys::add);
            engine.fieldNames().forEachRemaining(keys::add);
            keys.forEach(k -> difference(path + "/" + k, tether.get(k), engine.get(k), out));
        } else if (tether == null || !tether.equals(engine)) {
            out.add((path.isEmpty() ? "/" : path) + ": through tether " + cut(tether) + " | engine alone " + cut(engine));
        }
    }

    private static String cut(JsonNode n) {
        String s = n == null ? "(absent)" : n.toString();
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    // ---------------------------------------------------------------- the table

    /** Prints client × operation; cells are keyed "client\0op". */
    private static void printMatrix(String title, List<Map.Entry<String, String>> cells) {
        Map<String, Map<String, String>> rows = new LinkedHashMap<>();
        Set<String> cols = new LinkedHashSet<>();
        for (var c : cells) {
            String[] k = c.getKey().split("\0");
            rows.computeIfAbsent(k[0], x -> new LinkedHashMap<>()).put(k[1], c.getValue());
        }
        for (String op : OPS) {
            if (rows.values().stream().anyMatch(r -> r.containsKey(op))) {
                cols.add(op);
            }
        }
        rows.values().forEach(r -> cols.addAll(r.keySet()));
        int first = Math.max(8, rows.keySet().stream().mapToInt(String::length).max().orElse(8));
        StringBuilder b = new StringBuilder("\n[matrix] " + title + "\n");
        b.append(String.format("%-" + first + "s", "client"));
        cols.forEach(c -> b.append(" | ").append(String.format("%-" + Math.max(c.length(), 14) + "s", c)));
        b.append('\n');
        for (var row : rows.entrySet()) {
            b.append(String.format("%-" + first + "s", row.getKey()));
            cols.forEach(c -> b.append(" | ").append(String.format("%-" + Math.max(c.length(), 14) + "s", row.getValue().getOrDefault(c, ""))));
            b.append('\n');
        }
        System.out.println(b);
        System.out.flush();
    }
}
