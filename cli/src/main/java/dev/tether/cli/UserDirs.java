package dev.tether.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where the user's files are: the one source of the home folder and the XDG base directories for every command
 * (the socket, the journal, MCP host configurations, the service file). A value, so that tests can point it at a
 * temporary home.
 *
 * @param home the home folder: {@code $HOME} as the launcher and shells read it, the password file's only without it
 */
record UserDirs(Path home, Map<String, String> env, String os) {

    UserDirs {
        env = Map.copyOf(env);
    }

    /** This process's user: {@code $HOME} first (the JDK's user.home comes from the password file, not from HOME). */
    static UserDirs current() {
        return of(System.getenv(), System.getProperty("user.home"), System.getProperty("os.name", "Linux"));
    }

    /** The user these variables describe; {@code passwdHome} only when {@code $HOME} is not an absolute path. */
    static UserDirs of(Map<String, String> env, String passwdHome, String os) {
        String home = env.get("HOME");
        return new UserDirs(Path.of(home != null && home.startsWith("/") ? home : passwdHome), env, os);
    }

    /** A variable's value; empty when unset or blank. */
    Optional<String> get(String name) {
        return Optional.ofNullable(env.get(name)).filter(v -> !v.isBlank());
    }

    /** {@code $XDG_RUNTIME_DIR}, if set to an absolute path: the spec says to ignore a relative one. */
    Optional<Path> runtimeDir() {
        return xdg("XDG_RUNTIME_DIR");
    }

    /** {@code $XDG_STATE_HOME}, else {@code ~/.local/state}. */
    Path stateHome() {
        return xdg("XDG_STATE_HOME").orElse(home.resolve(".local/state"));
    }

    /** {@code $XDG_CONFIG_HOME}, else {@code ~/.config}. */
    Path configHome() {
        return xdg("XDG_CONFIG_HOME").orElse(home.resolve(".config"));
    }

    /** tether's socket when none is named: {@code $XDG_RUNTIME_DIR/tether/docker.sock}, else under {@code ~/.tether}. */
    Path defaultSocket() {
        return runtimeDir().map(d -> d.resolve("tether")).orElse(home.resolve(".tether")).resolve("docker.sock");
    }

    /** The audit journal when none is named: {@code $XDG_STATE_HOME/tether/audit.jsonl}. */
    Path defaultJournal() {
        return stateHome().resolve("tether/audit.jsonl");
    }

    boolean isMac() {
        return os.toLowerCase(Locale.ROOT).startsWith("mac");
    }

    boolean isWindows() {
        return os.toLowerCase(Locale.ROOT).startsWith("windows");
    }

    /**
     * An XDG base directory variable, if it holds an absolute path. The spec says to ignore a relative one: it would
     * depend on the folder a command was started in.
     */
    private Optional<Path> xdg(String name) {
        return get(name).filter(v -> v.startsWith("/")).map(Path::of);
    }
}
