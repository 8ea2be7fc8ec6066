package dev.tether.cli;

import java.nio.file.Path;

/** Where tether's files live when the user names none. */
final class Sockets {

    private Sockets() {}

    static Path defaultSocket() {
        return defaultSocket(System.getenv("XDG_RUNTIME_DIR"), home());
    }

    /** The launcher's `tether run` computes the same path in bash (DefaultPathsIT checks they agree). */
    static Path defaultSocket(String runtimeDir, Path home) {
        // The XDG spec says to ignore a relative path: it would depend on the directory tether was started in.
        if (runtimeDir != null && runtimeDir.startsWith("/")) {
            return Path.of(runtimeDir, "tether", "docker.sock");
        }
        return home.resolve(".tether").resolve("docker.sock");
    }

    /** $HOME, as the launcher and shells read it; the password file's home only without one. */
    static Path home() {
        String home = System.getenv("HOME");
        return home != null && home.startsWith("/") ? Path.of(home) : Path.of(System.getProperty("user.home"));
    }
}
