package dev.tether.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where a user's MCP host configurations are found: the home folder, the environment and the OS. A value, so that
 * tests can point it at a temporary home.
 */
record UserDirs(Path home, Map<String, String> env, String os) {

    UserDirs {
        env = Map.copyOf(env);
    }

    /** This process's user: {@code $HOME} first (the JDK's user.home comes from the password file, not from HOME). */
    static UserDirs current() {
        return new UserDirs(Sockets.home(), System.getenv(), System.getProperty("os.name", "Linux"));
    }

    Optional<String> get(String name) {
        return Optional.ofNullable(env.get(name)).filter(v -> !v.isBlank());
    }

    boolean isMac() {
        return os.toLowerCase(java.util.Locale.ROOT).startsWith("mac");
    }

    boolean isWindows() {
        return os.toLowerCase(java.util.Locale.ROOT).startsWith("windows");
    }
}
