package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code tether setup} makes of one MCP server entry ({@code {"command": …, "args": [...], "env": {...}}}).
 * A server launched by {@code docker} is routed as {@code <launcher> run -- docker …}: the launcher makes sure a tether
 * runs, then execs the same docker command with DOCKER_HOST on tether's socket. With {@code --all}, a stdio server of
 * any other command ({@code npx}, {@code uvx}, {@code node}, {@code python}, a shell) is routed the same way, so that
 * {@code tether run} guards its whole process tree.
 */
sealed interface Routing {

    /** The command line the host runs for the server, as it reads in a shell. */
    record CommandLine(String command, List<String> args) {
        public CommandLine {
            args = List.copyOf(args);
        }

        @Override
        public String toString() {
            List<String> words = new ArrayList<>(List.of(command));
            words.addAll(args);
            return Shell.line(words);
        }
    }

    /** A stdio server started by another command than docker, while only docker servers are asked for: not touched. */
    record NotDocker() implements Routing {}

    /**
     * Not a server the host starts as a process (an http or sse server, a url): nothing for {@code tether run} to
     * guard, never touched.
     *
     * @param kind what it is instead: its {@code type} ({@code http}, {@code sse}), else {@code url}, else {@code no command}
     */
    record NotStdio(String kind) implements Routing {}

    /** A server to route through tether: {@code from} becomes {@code to}. */
    record Route(CommandLine from, CommandLine to) implements Routing {}

    /** Already {@code tether run -- COMMAND …}, by setup or by hand: {@code unrouted} is the command it guards. */
    record Routed(CommandLine now, CommandLine unrouted) implements Routing {}

    /** Routing would change which engine it talks to, or be ignored, or it is tether itself: left as it is. */
    record LeftAlone(CommandLine now, String why) implements Routing {}

    /** Decides for one server entry, routing only the servers docker starts (setup's default). */
    static Routing of(JsonNode server, String launcher, Set<String> tetherHosts) {
        return of(server, launcher, tetherHosts, false);
    }

    /**
     * Decides for one server entry.
     *
     * @param launcher the absolute path of the tether launcher the host should run
     * @param tetherHosts the DOCKER_HOST values that name tether's own socket: a server already pointed at tether
     *     by hand is routed too
     * @param all whether every stdio server is routed ({@code --all}), not only those docker starts
     */
    static Routing of(JsonNode server, String launcher, Set<String> tetherHosts, boolean all) {
        JsonNode type = server.path("type");
        if (type.isTextual() && !type.asText().equals("stdio")) {
            return new NotStdio(type.asText());
        }
        JsonNode command = server.path("command");
        if (!command.isTextual()) {
            return new NotStdio(server.has("url") ? "url" : "no command");
        }
        boolean tether = isLauncher(command.asText()) || command.asText().equals(launcher);
        Optional<List<String>> args = strings(server.get("args"));
        if (args.isEmpty()) {
            return all || isDocker(command.asText()) || tether
                    ? new LeftAlone(new CommandLine(command.asText(), List.of()), "its \"args\" is not a list of strings")
                    : new NotDocker();
        }
        CommandLine now = new CommandLine(command.asText(), args.get());
        List<String> a = args.get();
        if (tether && a.size() >= 3 && a.get(0).equals("run") && a.get(1).equals("--")) {
            return new Routed(now, new CommandLine(a.get(2), a.subList(3, a.size())));
        }
        if (tether) {
            // tether up, tether run with options of its own: a launcher in front would only start tether twice.
            return all ? new LeftAlone(now, "its command is tether itself") : new NotDocker();
        }
        if (!all && !isDocker(now.command())) {
            return new NotDocker();
        }
        // tether run sets DOCKER_HOST for any command: a server whose own engine is another would lose it.
        JsonNode dockerHost = server.path("env").path("DOCKER_HOST");
        if (dockerHost.isTextual() && !dockerHost.asText().isBlank() && !tetherHosts.contains(dockerHost.asText().strip())) {
            return new LeftAlone(now, "it sets DOCKER_HOST=" + dockerHost.asText() + ", another engine than tether's"
                    + " upstream; to route it, remove DOCKER_HOST from its \"env\" and run tether with --upstream "
                    + dockerHost.asText());
        }
        Optional<String> engineFlag = isDocker(now.command()) ? engineFlag(a) : Optional.empty();
        if (engineFlag.isPresent()) {
            return new LeftAlone(now, "its docker command names an engine (" + engineFlag.get()
                    + "), which wins over the DOCKER_HOST tether sets");
        }
        List<String> routed = new ArrayList<>(List.of("run", "--", now.command()));
        routed.addAll(a);
        return new Route(now, new CommandLine(launcher, routed));
    }

    /** {@code docker}, by name or by path; podman and others are not tether's business. */
    static boolean isDocker(String command) {
        return command.equals("docker") || command.endsWith("/docker");
    }

    static boolean isLauncher(String command) {
        return command.equals("tether") || command.endsWith("/tether");
    }

    private static Optional<List<String>> strings(JsonNode args) {
        if (args == null || args.isNull()) {
            return Optional.of(List.of());
        }
        if (!args.isArray()) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (JsonNode a : args) {
            if (!a.isTextual()) {
                return Optional.empty();
            }
            out.add(a.asText());
        }
        return Optional.of(out);
    }

    /** Global options before docker's subcommand that choose the engine: {@code -H}, {@code --host}, {@code --context}. */
    private static Optional<String> engineFlag(List<String> args) {
        Set<String> engine = Set.of("-H", "--host", "-c", "--context");
        Set<String> withValue = Set.of("--config", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("-")) {
                return Optional.empty(); // the subcommand: what follows is its own
            }
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (engine.contains(name) || (a.startsWith("-H") && !a.startsWith("--"))) {
                return Optional.of(a.contains("=") || a.length() > 2 && !a.startsWith("--") || i + 1 >= args.size()
                        ? a : a + " " + args.get(i + 1));
            }
            if (withValue.contains(a)) {
                i++;
            }
        }
        return Optional.empty();
    }
}
