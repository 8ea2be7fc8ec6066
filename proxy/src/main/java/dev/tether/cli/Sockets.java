package dev.tether.cli;

import java.nio.file.Path;

/** Where tether's files live when the user names none. */
final class Sockets {

    private Sockets() {}

    static Path defaultSocket() {
        return defaultSocket(System.getenv("XDG_RUNTIME_DIR"), Path.of(System.getProperty("user.home")));
    }

    static Path defaultSocket(String runtimeDir, Path home) {
        if (runtimeDir != null && !runtimeDir.isBlank()) {
            return Path.of(runtimeDir, "tether", "docker.sock");
        }
        return home.resolve(".tether").resolve("docker.sock");
    }
}
