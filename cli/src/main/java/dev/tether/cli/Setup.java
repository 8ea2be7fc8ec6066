package dev.tether.cli;

import dev.tether.docker.DockerContexts;
import dev.tether.docker.EngineChoice;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether setup HOST}: routes the MCP servers a host starts with docker (or, with --all, every stdio one) through tether. */
@Command(name = "setup", mixinStandardHelpOptions = true,
        description = {"Routes the MCP servers a host starts with docker through tether.",
                "HOST is claude-code, claude-desktop or cursor. A server whose command is",
                "docker becomes '<tether> run -- docker …'; with --all, every stdio server",
                "(npx, uvx, node, python, …) becomes '<tether> run -- COMMAND …'. Other servers",
                "and other keys of the file stay as they are. The original is kept as",
                "<file>.tether-backup, written once, before the first change."})
final class Setup implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HOST", description = "claude-code, claude-desktop or cursor.")
    String host;

    @Option(names = "--dry-run", description = "Show what would change; write nothing.")
    boolean dryRun;

    @Option(names = "--undo", description = "Turn every routed server back into its own command; other edits made since stay.")
    boolean undo;

    @Option(names = "--all", description = "Route every stdio server (npx, uvx, node, python, …), not only those docker starts;"
            + " http and sse servers, and tether's own commands, stay as they are.")
    boolean all;

    @Option(names = "--project", paramLabel = "DIR",
            description = "Also change DIR's own files (.mcp.json, .cursor/mcp.json), usually shared with a team."
                    + " Without it, the current folder's are shown but not changed.")
    Path project;

    @Option(names = "--launcher", paramLabel = "PATH",
            description = "The tether command hosts should run (default: this checkout's ./tether).")
    Path launcher;

    @Override
    public Integer call() {
        McpHost chosen = McpHost.byId(host).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "unknown host '" + host + "': use claude-code, claude-desktop or cursor"));
        Path dir = (project != null ? project : Path.of("")).toAbsolutePath().normalize();
        Path command = launcher != null ? launcher.toAbsolutePath().normalize() : McpSetup.defaultLauncher();
        int code = McpSetup.run(new McpSetup.Options(chosen, UserDirs.current(), dir, project != null, command.toString(),
                dryRun, undo, all), System.out);
        if (!undo) {
            engineNote();
        }
        return code;
    }

    /** Routed servers reach the engine tether picks: say which, by which rule, and how the docker CLI can follow. */
    private static void engineNote() {
        UserDirs dirs = UserDirs.current();
        Path socket = dirs.defaultSocket().toAbsolutePath().normalize();
        System.out.println();
        try {
            EngineChoice choice = EngineChoice.choose(Optional.empty(), System.getenv(), dirs.home(), socket);
            System.out.println("The engine: tether relays to " + choice.endpoint().uri() + ", chosen by " + choice.why() + ".");
            choice.warnings().forEach(w -> System.out.println("  warning: " + w));
        } catch (EngineChoice.Refused r) {
            System.out.println("The engine: tether up would refuse to start: " + r.getMessage());
        }
        boolean exists;
        try {
            exists = DockerContexts.of(System.getenv(), dirs.home()).read(DockerContexts.TETHER).isPresent();
        } catch (RuntimeException e) {
            exists = false;
        }
        System.out.println(exists
                ? "Your own docker commands go through tether too with: docker context use tether"
                : "Your own docker commands can go through tether too: tether context, then docker context use tether");
    }
}
