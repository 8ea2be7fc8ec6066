package dev.tether.process;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether a command line looks like a stdio MCP server: started by a known runner ({@code npx}, {@code npm exec},
 * {@code uvx}, {@code node}, {@code python}, ...) with an MCP package or script among its arguments. Pure: it reads
 * only the command line, so what it matches is what {@code tether sweep --orphans} may list.
 */
public final class McpCommand {

    private McpCommand() {}

    /**
     * How a command line matched.
     *
     * @param runner the runner as a user would name it: {@code npx}, {@code npm exec}, {@code node}, {@code python}, ...
     * @param mcp    the argument that names an MCP package or script
     */
    public record Match(String runner, String mcp) {}

    private static final Pattern PYTHON = Pattern.compile("python(\\d+(\\.\\d+)?)?");

    /** The runner and the MCP argument, or empty when either is missing. */
    public static Optional<Match> match(List<String> commandLine) {
        List<String> argv = words(commandLine);
        if (argv.isEmpty()) {
            return Optional.empty();
        }
        return runner(argv).flatMap(runner -> argv.stream().skip(1)
                .filter(McpCommand::namesMcp)
                .findFirst()
                .or(() -> runner.equals(OWN_PROGRAM) ? Optional.of(argv.getFirst()) : Optional.empty())
                .map(arg -> new Match(runner, arg)));
    }

    /** The runner name of a program whose own name says MCP ({@code github-mcp-server}, {@code mcp-server-fetch}). */
    static final String OWN_PROGRAM = "an MCP server program";

    private static Optional<String> runner(List<String> argv) {
        String program = basename(argv.getFirst());
        String second = argv.size() > 1 ? argv.get(1) : "";
        return Optional.ofNullable(switch (program) {
            case "npx", "uvx", "bunx", "pnpx" -> program;
            case "npm", "pnpm" -> second.equals("exec") || second.equals("x") || second.equals("dlx") ? program + " exec" : null;
            case "uv" -> second.equals("run") || second.equals("tool") ? "uv " + second : null;
            case "pipx" -> second.equals("run") ? "pipx run" : null;
            case "node", "nodejs", "bun", "deno", "tsx", "ts-node" -> program;
            case "docker", "podman" -> argv.contains("run") ? program + " run" : null;
            default -> PYTHON.matcher(program).matches() ? "python"
                    : namesMcp(program) ? OWN_PROGRAM : null;
        });
    }

    /**
     * An argument that names MCP: {@code @modelcontextprotocol/server-filesystem}, {@code @playwright/mcp},
     * {@code mcp-server-fetch}, {@code mcp_server_git}, {@code /srv/weather-mcp/index.js}, {@code fastmcp}.
     */
    static boolean namesMcp(String argument) {
        String lower = argument.toLowerCase(Locale.ROOT);
        return lower.contains("mcp") || lower.contains("modelcontextprotocol");
    }

    /**
     * The command line as words. A process that set its title ({@code npm exec} does: "npm exec @playwright/mcp")
     * shows it as one argument with spaces: split it, else the runner would be read as "npm exec @playwright/mcp".
     */
    static List<String> words(List<String> commandLine) {
        // the title overwrote the arguments' memory: what is left of it reads as empty arguments
        List<String> words = commandLine.stream().filter(a -> !a.isEmpty()).toList();
        if (words.size() == 1 && words.getFirst().strip().contains(" ")) {
            return Arrays.stream(words.getFirst().strip().split("\\s+")).toList();
        }
        return words;
    }

    private static String basename(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
