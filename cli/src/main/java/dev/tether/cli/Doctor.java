package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.DockerContexts;
import dev.tether.docker.Endpoint;
import dev.tether.docker.EngineChoice;
import dev.tether.docker.EngineClient;
import dev.tether.process.Libc;
import dev.tether.process.Orphans;
import dev.tether.proxy.ControlServer;
import dev.tether.proxy.SocketSafety;
import dev.tether.process.ProcessWatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether doctor}: checks what tether needs and what it protects, each with the fix. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Checks tether's set-up and says how to fix what is wrong.",
                "The engine and the rule that chose it, the socket, process watching, a running",
                "tether, the docker context `tether`, the MCP host configurations, containers",
                "leaked before tether and MCP servers left by a dead host: each OK, WARN or FAIL,",
                "with the fix. Exits 1 if any check fails."})
final class Doctor implements Callable<Integer> {

    @Mixin
    SocketOption socket;

    @Mixin
    EngineOption engine;

    @Option(names = "--project", paramLabel = "DIR", description = "The project whose MCP files to check (default: the current folder).")
    Path project;

    enum Level { OK, WARN, FAIL }

    record Check(Level level, String what, String fix) {
        static Check ok(String what) {
            return new Check(Level.OK, what, null);
        }
    }

    @Override
    public Integer call() {
        Path path = socket.path();
        Path control = ControlServer.socketFor(path);
        ControlClient.Answer answer = ControlClient.get(control, "/status");
        Optional<JsonNode> status = answer instanceof ControlClient.Answered a ? Optional.of(a.body()) : Optional.empty();
        // The engine a running tether relays to is the one that matters; else the one tether up would choose.
        EngineChoice choice = null;
        EngineChoice.Refused refused = null;
        try {
            choice = engine.choice(path);
        } catch (EngineChoice.Refused r) {
            refused = r;
        }
        Optional<Endpoint> chosen = Optional.ofNullable(choice).map(EngineChoice::endpoint);
        // The running tether's engine, with the TLS the rules give it when they still choose that engine.
        Optional<Endpoint> upstream = status.map(s -> s.path("upstream").asText(""))
                .filter(u -> !u.isBlank())
                .map(u -> chosen.filter(c -> c.uri().equals(u)).orElseGet(() -> Endpoint.parse(u)))
                .or(() -> chosen);

        List<Check> checks = new ArrayList<>();
        try (EngineClient client = upstream.map(EngineClient::connect).orElse(null)) {
            Optional<EngineClient> reachable = client != null ? engineCheck(client, checks) : Optional.empty();
            checks.addAll(choiceChecks(status, choice, refused));
            checks.add(socketCheck(path));
            checks.add(watchCheck());
            checks.add(switch (answer) {
                case ControlClient.Answered a -> Check.ok("tether: running (pid " + a.body().path("pid").asLong()
                        + ", since " + a.body().path("startedAt").asText() + ") on " + path + ", relaying to "
                        + a.body().path("upstream").asText());
                case ControlClient.Absent a -> new Check(Level.WARN, "tether: not running on " + path + " (" + a.why() + ")",
                        "tether up (a routed MCP server starts one through tether run)");
                case ControlClient.Refused r -> new Check(Level.FAIL, "tether on " + path + " refuses you: " + r.why(),
                        "ask its owner for access, or run your own: tether up --socket PATH");
                case ControlClient.Failed f -> new Check(Level.FAIL, "tether on " + path + ": " + f.why(),
                        "see its log; restart it if it does not answer as tether");
            });
            checks.add(contextCheck(path));
            checks.addAll(hostChecks(project != null ? project : Path.of("")));
            checks.add(reachable.map(Doctor::leakCheck).orElseGet(() -> new Check(Level.WARN,
                    client != null ? "leaks: not checked, the engine did not answer" : "leaks: not checked, no engine chosen",
                    "fix the engine first")));
            checks.add(orphanCheck());
        } catch (IOException e) {
            checks.add(new Check(Level.WARN, "closing the engine client: " + e.getMessage(), null));
        }
        for (Check c : checks) {
            System.out.printf("%-4s  %s%n", c.level(), c.what());
            if (c.fix() != null) {
                System.out.println("      fix: " + c.fix());
            }
        }
        return checks.stream().anyMatch(c -> c.level() == Level.FAIL) ? 1 : 0;
    }

    /**
     * Which rule chose the engine: the running tether's, else the one tether up would follow now. A running tether
     * that chose by the docker CLI's rules while they now choose another engine relays elsewhere than the CLI.
     */
    private static List<Check> choiceChecks(Optional<JsonNode> status, EngineChoice choice, EngineChoice.Refused refused) {
        List<Check> checks = new ArrayList<>();
        if (status.isPresent()) {
            JsonNode s = status.get();
            String relays = "engine choice: tether relays to " + s.path("upstream").asText()
                    + (s.hasNonNull("upstreamWhy") ? ", chosen by " + s.path("upstreamWhy").asText() : "")
                    + (s.hasNonNull("upstreamTls") ? "; " + s.path("upstreamTls").asText() : "");
            boolean byFlag = s.path("upstreamRule").asText().equals(EngineChoice.Rule.FLAG.code());
            if (!byFlag && refused != null) {
                checks.add(new Check(Level.WARN, relays + "; the docker CLI's rules now choose none: " + refused.problem(),
                        refused.fix()));
            } else if (!byFlag && choice != null && !choice.endpoint().uri().equals(s.path("upstream").asText())) {
                checks.add(new Check(Level.WARN, relays + "; the docker CLI's rules now choose " + choice.endpoint().uri()
                        + ", by " + choice.why(), "restart tether to follow them, or keep this engine with tether up --upstream URL"));
            } else {
                checks.add(Check.ok(relays));
            }
            return checks;
        }
        if (refused != null) {
            checks.add(new Check(Level.FAIL, "engine choice: " + refused.problem(), refused.fix()));
            return checks;
        }
        checks.add(Check.ok("engine choice: tether up would relay to " + choice.endpoint().uri() + ", chosen by " + choice.why()
                + choice.tls().map(t -> "; " + t).orElse("")));
        choice.warnings().forEach(w -> checks.add(new Check(Level.WARN, "engine choice: " + w, null)));
        return checks;
    }

    /** The docker context {@code tether context} writes: optional, but when there, it must lead to this socket. */
    static Check contextCheck(Path socket) {
        DockerContexts store = DockerContexts.of(System.getenv(), UserDirs.current().home());
        String want = new Endpoint.Unix(socket).uri();
        String name = "docker context " + DockerContexts.TETHER + ": ";
        try {
            Optional<DockerContexts.Context> context = store.read(DockerContexts.TETHER);
            if (context.isEmpty()) {
                return Check.ok(name + "none (tether context creates it; then docker context use tether routes the docker"
                        + " CLI through tether)");
            }
            DockerContexts.Context c = context.get();
            if (c.usesTls() || !c.host().equals(Optional.of(want))) {
                return new Check(Level.WARN, name + "points at " + c.host().orElse("the default socket")
                        + (c.usesTls() ? " with TLS" : "") + ", not at tether's socket " + socket + " (" + c.meta() + ")",
                        "tether context" + (socket.equals(UserDirs.current().defaultSocket().toAbsolutePath().normalize())
                                ? "" : " --socket " + socket));
            }
            return Check.ok(name + "points at tether's socket " + socket + " (" + c.meta() + ")");
        } catch (RuntimeException e) {
            return new Check(Level.WARN, name + e.getMessage(), "tether context (writes it again)");
        }
    }

    private static Optional<EngineClient> engineCheck(EngineClient client, List<Check> checks) {
        try {
            JsonNode v = client.version();
            checks.add(Check.ok("engine: Docker " + v.path("Version").asText("?") + " (API " + v.path("ApiVersion").asText("?")
                    + ") at " + client.endpoint().uri()));
            return Optional.of(client);
        } catch (RuntimeException e) {
            checks.add(new Check(Level.FAIL, "engine: nothing answers at " + client.endpoint().uri() + " (" + e.getMessage() + ")",
                    "start the Docker engine, or name it: tether up --upstream URL (or DOCKER_HOST)"));
            return Optional.empty();
        }
    }

    /** The socket by the rule tether up refuses by ({@link SocketSafety}): its directory first, then the socket. */
    static Check socketCheck(Path socket) {
        try {
            List<SocketSafety.Finding> findings = new ArrayList<>(SocketSafety.ofDirectory(socket));
            String what;
            if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                if (findings.isEmpty()) {
                    return new Check(Level.WARN, "socket: " + socket + " does not exist", "tether up creates it");
                }
                what = "socket: " + socket + " does not exist, and tether up refuses to create it";
            } else if (!SocketSafety.isSocket(socket)) {
                return new Check(Level.FAIL, "socket: " + socket + " exists and is not a socket: tether up will not replace it",
                        "move it away, or choose another path with tether up --socket PATH");
            } else {
                int owner = (int) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                Path dir = socket.getParent();
                what = "socket: " + socket + ", mode " + SocketSafety.octal(SocketSafety.mode(socket)) + ", owner uid "
                        + owner + (owner == Libc.effectiveUid() ? " (you)" : "") + ", in " + dir
                        + " (mode " + SocketSafety.octal(SocketSafety.mode(dir.toRealPath())) + ")";
                findings.addAll(SocketSafety.ofSocket(socket));
            }
            // The worst first: an unsafe finding fails the check, a doubtful one only warns.
            return findings.stream()
                    .min(Comparator.comparing(SocketSafety.Finding::severity))
                    .map(f -> new Check(f.severity() == SocketSafety.Severity.UNSAFE ? Level.FAIL : Level.WARN,
                            what + ": " + f.problem(), f.fix()))
                    .orElseGet(() -> Check.ok(what));
        } catch (IOException | UnsupportedOperationException e) {
            return new Check(Level.WARN, "socket: cannot check " + socket + " (" + e.getMessage() + ")", null);
        }
    }

    private static Check watchCheck() {
        try (ProcessWatcher watcher = ProcessWatcher.create()) {
            return watcher.noticesInstantly()
                    ? Check.ok("process watch: " + watcher.how() + ", a death is noticed within milliseconds")
                    : new Check(Level.WARN, "process watch: " + watcher.how() + ", a death is noticed within seconds",
                            "Linux 5.3 or later, and no seccomp filter that forbids pidfd_open");
        }
    }

    /** Every host's files: which docker-started servers are routed through tether and which are not. */
    private static List<Check> hostChecks(Path projectDir) {
        List<Check> checks = new ArrayList<>();
        UserDirs dirs = UserDirs.current();
        Path dir = projectDir.toAbsolutePath().normalize();
        String launcher;
        try {
            launcher = McpSetup.defaultLauncher().toString();
        } catch (McpConfig.ConfigException e) {
            launcher = "tether";
        }
        for (McpHost host : McpHost.values()) {
            var locations = host.locations(dirs, Optional.of(dir));
            McpSetup.Read read = McpSetup.read(locations);
            List<McpConfig> configs = read.configs();
            read.errors().forEach(error -> checks.add(new Check(Level.FAIL, host.title() + ": " + error,
                    "fix the file, or restore it from a backup (" + ConfigFiles.BACKUP_SUFFIX + " beside it, if tether setup changed it)")));
            if (configs.isEmpty() && read.errors().isEmpty()) {
                checks.add(Check.ok(host.title() + ": no configuration (" + String.join(", ",
                        locations.stream().map(l -> l.path().toString()).toList()) + ")"));
            }
            for (McpConfig config : configs) {
                checks.add(routingCheck(host, config, dirs, launcher, dir));
            }
        }
        return checks;
    }

    private static Check routingCheck(McpHost host, McpConfig config, UserDirs dirs, String launcher, Path projectDir) {
        List<String> routed = new ArrayList<>();
        List<String> notRouted = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        List<String> leftAlone = new ArrayList<>();
        for (McpConfig.Server s : config.servers()) {
            String name = s.name() + " (" + s.scope() + ")";
            switch (Routing.of(s.entry(), launcher, McpSetup.tetherHosts(dirs))) {
                case Routing.NotDocker ignored -> { }
                case Routing.NotStdio ignored -> { }
                case Routing.Route ignored -> notRouted.add(name);
                case Routing.Routed r -> (Files.isExecutable(Path.of(r.now().command())) ? routed : broken).add(name);
                case Routing.LeftAlone a -> leftAlone.add(name + ": " + a.why());
            }
        }
        String where = host.title() + " " + config.location().path() + ": ";
        String setup = "tether setup " + host.id() + (config.location().scope() == McpHost.Scope.PROJECT ? " --project " + projectDir : "");
        if (!notRouted.isEmpty() || !broken.isEmpty()) {
            List<String> parts = new ArrayList<>();
            if (!notRouted.isEmpty()) {
                parts.add("not routed through tether: " + String.join(", ", notRouted));
            }
            if (!broken.isEmpty()) {
                parts.add("routed through a tether launcher that is gone: " + String.join(", ", broken));
            }
            if (!routed.isEmpty()) {
                parts.add("routed: " + String.join(", ", routed));
            }
            return new Check(Level.WARN, where + String.join("; ", parts), setup);
        }
        if (!leftAlone.isEmpty()) {
            return new Check(Level.WARN, where + "not routed, by choice of tether setup: " + String.join("; ", leftAlone), null);
        }
        return Check.ok(where + (routed.isEmpty() ? "no server started by docker" : "routed through tether: " + String.join(", ", routed)));
    }

    /** The same rule as {@code tether sweep --orphans}, which the fix runs: it must list what this counts. */
    private static Check orphanCheck() {
        try {
            List<Orphans.Orphan> orphans = Orphans.find();
            if (orphans.isEmpty()) {
                return Check.ok("orphans: no process of yours looks like a stdio MCP server left by a dead host");
            }
            List<String> pids = orphans.stream().map(o -> o.process().pid() + " (" + o.match().runner() + ")").toList();
            return new Check(Level.WARN, "orphans: " + orphans.size() + (orphans.size() == 1
                    ? " process looks like an orphaned MCP server" : " processes look like orphaned MCP servers")
                    + " (reparented, nobody left to write to " + (orphans.size() == 1 ? "its" : "their") + " stdin): pid "
                    + String.join(", ", pids),
                    "review and stop them: tether sweep --orphans");
        } catch (RuntimeException e) {
            return new Check(Level.WARN, "orphans: not checked (" + e.getMessage() + ")", null);
        }
    }

    private static Check leakCheck(EngineClient client) {
        try {
            // The same rule as `tether sweep --unlabelled`, which the fix below runs: it must list what this counts.
            List<UnlabelledStdin> leaks = client.inspectRunning(List.of()).stream()
                    .flatMap(inspect -> UnlabelledStdin.of(inspect).stream()).toList();
            if (leaks.isEmpty()) {
                return Check.ok("leaks: every running container with an attached stdin came through tether");
            }
            List<String> names = leaks.stream().map(c -> c.shortId() + " " + c.name() + " (" + c.image() + ")").toList();
            return new Check(Level.WARN, "leaks: " + leaks.size() + " running "
                    + (leaks.size() == 1 ? "container looks like a stdio server" : "containers look like stdio servers")
                    + " started without tether (stdin attached, none of tether's labels): " + String.join(", ", names),
                    "review and stop them: tether sweep --unlabelled");
        } catch (RuntimeException e) {
            return new Check(Level.WARN, "leaks: not checked (" + e.getMessage() + ")", null);
        }
    }
}
