package dev.tether.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** An MCP host whose configuration files tether setup and tether doctor read, and where they live. */
enum McpHost {
    CLAUDE_CODE("claude-code", "Claude Code"),
    CLAUDE_DESKTOP("claude-desktop", "Claude Desktop"),
    CURSOR("cursor", "Cursor");

    private final String id;
    private final String title;

    McpHost(String id, String title) {
        this.id = id;
        this.title = title;
    }

    /** The name {@code tether setup} takes: {@code claude-code}. */
    String id() {
        return id;
    }

    /** The name a user knows: {@code Claude Code}. */
    String title() {
        return title;
    }

    static Optional<McpHost> byId(String id) {
        for (McpHost h : values()) {
            if (h.id.equals(id)) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /** One configuration file of a host. */
    record Location(McpHost host, Path path, Scope scope) {}

    enum Scope {
        /** Private to the user: user scope, and Claude Code's local scopes (per project, inside ~/.claude.json). */
        USER,
        /** In a project folder, usually committed and shared with a team. */
        PROJECT
    }

    /**
     * The files this host reads MCP servers from, user files first.
     *
     * @param project the project folder whose own files count, if any
     */
    List<Location> locations(UserDirs dirs, Optional<Path> project) {
        List<Location> files = new ArrayList<>();
        Path home = dirs.home();
        switch (this) {
            case CLAUDE_CODE -> {
                // CLAUDE_CONFIG_DIR moves ~/.claude.json along with ~/.claude (checked against claude 2.1).
                Path dir = dirs.get("CLAUDE_CONFIG_DIR").map(Path::of).orElse(home);
                files.add(new Location(this, dir.resolve(".claude.json"), Scope.USER));
                project.ifPresent(p -> files.add(new Location(this, p.resolve(".mcp.json"), Scope.PROJECT)));
            }
            case CLAUDE_DESKTOP -> {
                Path dir;
                if (dirs.isMac()) {
                    dir = home.resolve("Library/Application Support/Claude");
                } else if (dirs.isWindows()) {
                    dir = Path.of(dirs.get("APPDATA").orElse(home.resolve("AppData/Roaming").toString()), "Claude");
                } else {
                    dir = dirs.configHome().resolve("Claude");
                }
                files.add(new Location(this, dir.resolve("claude_desktop_config.json"), Scope.USER));
            }
            case CURSOR -> {
                files.add(new Location(this, home.resolve(".cursor/mcp.json"), Scope.USER));
                project.ifPresent(p -> files.add(new Location(this, p.resolve(".cursor/mcp.json"), Scope.PROJECT)));
            }
        }
        return files;
    }
}
