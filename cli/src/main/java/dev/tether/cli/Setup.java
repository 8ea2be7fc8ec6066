package dev.tether.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether setup HOST}: routes the MCP servers a host starts with docker through tether. */
@Command(name = "setup", mixinStandardHelpOptions = true,
        description = {"Routes the MCP servers a host starts with docker through tether.",
                "HOST is claude-code, claude-desktop or cursor. A server whose command is",
                "docker becomes '<tether> run -- docker …'; other servers and other keys of",
                "the file stay as they are. The original is kept as <file>.tether-backup,",
                "written once, before the first change."})
final class Setup implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HOST", description = "claude-code, claude-desktop or cursor.")
    String host;

    @Option(names = "--dry-run", description = "Show what would change; write nothing.")
    boolean dryRun;

    @Option(names = "--undo", description = "Turn routed servers back into plain docker commands; other edits made since stay.")
    boolean undo;

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
        return McpSetup.run(new McpSetup.Options(chosen, UserDirs.current(), dir, project != null, command.toString(),
                dryRun, undo), System.out);
    }
}
