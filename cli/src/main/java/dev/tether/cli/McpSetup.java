package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The work of {@code tether setup}: reads every configuration file of one MCP host, shows what it will change and
 * why, and routes the servers the host starts with docker (with {@code --all}, every stdio server) through tether, or,
 * undoing, every routed server back. All files are read and checked before any is written: a malformed one stops
 * everything.
 */
final class McpSetup {

    /**
     * @param project the project folder whose files are looked at
     * @param projectChosen whether the user named it: only then are its (shared) files changed
     * @param launcher the absolute path of the tether launcher hosts should run
     * @param all whether every stdio server is routed, not only those docker starts; undoing un-routes all anyway
     */
    record Options(McpHost host, UserDirs dirs, Path project, boolean projectChosen, String launcher, boolean dryRun,
                   boolean undo, boolean all) {}

    private McpSetup() {}

    /** The DOCKER_HOST values that name tether's own default socket. */
    static Set<String> tetherHosts(UserDirs dirs) {
        Path socket = dirs.defaultSocket();
        return Set.of("unix://" + socket, socket.toString());
    }

    /** A host's files, each read and checked (a file that does not exist is left out), and what could not be read. */
    record Read(List<McpConfig> configs, List<String> errors) {}

    static Read read(List<McpHost.Location> locations) {
        List<McpConfig> configs = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (McpHost.Location location : locations) {
            try {
                McpConfig.read(location).ifPresent(c -> {
                    c.servers(); // a malformed mcpServers is found now, before anything is written
                    configs.add(c);
                });
            } catch (McpConfig.ConfigException e) {
                errors.add(e.getMessage());
            }
        }
        return new Read(configs, errors);
    }

    static int run(Options o, PrintStream out) {
        List<McpHost.Location> locations = o.host().locations(o.dirs(), Optional.of(o.project()));
        Read read = read(locations);
        if (!read.errors().isEmpty()) {
            throw new McpConfig.ConfigException(String.join("\n", read.errors()) + "\nnothing was changed; fix the file"
                    + (read.errors().size() == 1 ? "" : "s") + " (or restore from a backup) and run this again");
        }
        List<McpConfig> configs = read.configs();
        if (configs.isEmpty()) {
            out.println("No " + o.host().title() + " configuration found (looked at "
                    + String.join(", ", locations.stream().map(l -> l.path().toString()).toList()) + ").");
            return 0;
        }
        Set<String> tetherHosts = tetherHosts(o.dirs());
        int written = 0;
        for (McpConfig config : configs) {
            out.println(o.host().title() + ", " + describe(config.location()) + ": " + config.location().path());
            boolean changeable = config.location().scope() == McpHost.Scope.USER || o.projectChosen();
            List<String> notDocker = new ArrayList<>();
            List<String> notStdio = new ArrayList<>();
            Backup original = new Backup(config);
            int changes = 0;
            for (McpConfig.Server server : config.servers()) {
                String name = server.name() + " (" + server.scope() + ")";
                Routing routing = Routing.of(server.entry(), o.launcher(), tetherHosts, o.all());
                if (routing instanceof Routing.NotDocker) {
                    notDocker.add(name);
                    continue;
                }
                if (routing instanceof Routing.NotStdio(String kind)) {
                    notStdio.add(server.name() + " (" + server.scope() + ", " + kind + ")");
                    continue;
                }
                Optional<Routing.CommandLine> change = decide(name, routing, o, out);
                if (change.isPresent()) {
                    apply(server.entry(), change.get(), o.undo() ? original.entry(server) : Optional.empty());
                    changes++;
                }
            }
            if (!notDocker.isEmpty() && !o.undo()) {
                out.println("  not started by docker, left alone (--all routes them too): " + String.join(", ", notDocker));
            }
            if (!notStdio.isEmpty() && !o.undo()) {
                out.println("  not stdio, no process of theirs to guard, left alone: " + String.join(", ", notStdio));
            }
            String verb = o.undo() ? "un-route" : "route";
            if (changes == 0) {
                out.println("  nothing to change");
            } else if (!changeable) {
                out.println("  not changed: a project file is usually committed and shared, and your team may not have"
                        + " tether at " + o.launcher() + "; to change it too: tether setup " + o.host().id()
                        + (o.undo() ? " --undo" : o.all() ? " --all" : "") + " --project " + o.project());
            } else if (o.dryRun()) {
                out.println("  dry run: would " + verb + " " + servers(changes) + "; nothing written");
            } else {
                if (!config.keepsFormatting()) {
                    out.println("  note: the file's whitespace is rewritten the way the host writes it"
                            + " (JSON.stringify style); no other content changes");
                }
                boolean backedUp = ConfigFiles.backUpOnce(config.file(), config.text());
                ConfigFiles.replace(config.file(), config.text(), config.render());
                Path backup = ConfigFiles.backupOf(config.file());
                out.println("  " + (backedUp ? "backed up the original to " : "the backup of the original, from the first change, stays at ")
                        + backup);
                out.println("  written: " + servers(changes) + (o.undo() ? " un-routed" : " routed through tether"));
                written++;
            }
        }
        if (written > 0) {
            out.println(o.undo()
                    ? "Restart " + o.host().title() + " to start its servers without tether."
                    : "Restart " + o.host().title() + " so that it starts these servers through tether. To undo: tether setup "
                            + o.host().id() + " --undo");
        }
        return 0;
    }

    /** Says what becomes of one server and returns its new command line, if it changes. */
    private static Optional<Routing.CommandLine> decide(String name, Routing routing, Options o, PrintStream out) {
        switch (routing) {
            case Routing.Route route when !o.undo() -> {
                out.println("  " + name + ": route through tether");
                show(out, route.from(), route.to());
                return Optional.of(route.to());
            }
            case Routing.Routed routed when o.undo() -> {
                out.println("  " + name + ": un-route");
                show(out, routed.now(), routed.unrouted());
                return Optional.of(routed.unrouted());
            }
            case Routing.Routed routed when !routed.now().command().equals(o.launcher())
                    && !Files.isExecutable(Path.of(routed.now().command())) -> {
                // A moved or deleted checkout: the host could no longer start the server at all.
                out.println("  " + name + ": route through tether (the launcher it names is gone)");
                List<String> args = new ArrayList<>(List.of("run", "--", routed.unrouted().command()));
                args.addAll(routed.unrouted().args());
                Routing.CommandLine again = new Routing.CommandLine(o.launcher(), args);
                show(out, routed.now(), again);
                return Optional.of(again);
            }
            case Routing.Routed ignored -> out.println("  " + name + ": already routed through tether");
            case Routing.LeftAlone alone when !o.undo() -> out.println("  " + name + ": left alone: " + alone.why());
            case Routing.Route ignored -> { } // undoing: it was never routed
            case Routing.LeftAlone ignored -> { }
            case Routing.NotDocker ignored -> { }
            case Routing.NotStdio ignored -> { }
        }
        return Optional.empty();
    }

    private static String servers(int n) {
        return n + (n == 1 ? " server" : " servers");
    }

    private static String describe(McpHost.Location location) {
        if (location.scope() == McpHost.Scope.PROJECT) {
            return "project scope";
        }
        return location.host() == McpHost.CLAUDE_CODE ? "user and local scopes" : "user scope";
    }

    private static void show(PrintStream out, Routing.CommandLine from, Routing.CommandLine to) {
        out.println("    - " + from);
        out.println("    + " + to);
    }

    /**
     * Changes command and args in place: every other key of the entry, env included, and their order stay. Un-routing
     * to a command without arguments, {@code before} (the entry as the backup holds it) says whether the original had
     * {@code "args": []}, {@code null} or no "args" at all, which a command line cannot tell.
     */
    private static void apply(ObjectNode entry, Routing.CommandLine to, Optional<ObjectNode> before) {
        entry.put("command", to.command());
        if (to.args().isEmpty() && before.isPresent() && before.get().path("command").asText().equals(to.command())
                && !(before.get().get("args") instanceof ArrayNode list && !list.isEmpty())) {
            JsonNode original = before.get().get("args");
            if (original == null) {
                entry.remove("args");
            } else {
                entry.set("args", original.deepCopy());
            }
            return;
        }
        var args = entry.arrayNode();
        to.args().forEach(args::add);
        entry.set("args", args);
    }

    /**
     * The file before tether's first change, read only when an un-routed server needs it; one that is gone or
     * unreadable is no entry, and its server gets {@code "args": []}.
     */
    private static final class Backup {
        private final McpConfig config;
        private List<McpConfig.Server> servers;

        Backup(McpConfig config) {
            this.config = config;
        }

        Optional<ObjectNode> entry(McpConfig.Server server) {
            if (servers == null) {
                McpHost.Location now = config.location();
                try {
                    servers = McpConfig.read(new McpHost.Location(now.host(), ConfigFiles.backupOf(config.file()), now.scope()))
                            .map(McpConfig::servers).orElse(List.of());
                } catch (McpConfig.ConfigException e) {
                    servers = List.of();
                }
            }
            return servers.stream().filter(s -> s.scope().equals(server.scope()) && s.name().equals(server.name()))
                    .map(McpConfig.Server::entry).findFirst();
        }
    }

    /** The launcher of this checkout ({@link Launcher#path()}); {@code $TETHER_LAUNCHER} wins. */
    static Path defaultLauncher() {
        String fromEnv = System.getenv("TETHER_LAUNCHER");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv).toAbsolutePath().normalize();
        }
        try {
            return Launcher.path();
        } catch (IllegalStateException | IOException e) {
            throw new McpConfig.ConfigException(e.getMessage() + "; or name it with --launcher /path/to/tether");
        }
    }
}
