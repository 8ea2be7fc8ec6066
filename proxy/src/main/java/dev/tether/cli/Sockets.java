package dev.tether.cli;

import java.nio.file.Path;

/** Where tether's files live when the user names none. */
final class Sockets {

    private Sockets() {}

    static Path defaultSocket() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank()) {
            return Path.of(runtime, "tether", "docker.sock");
        }
        return Path.of(System.getProperty("user.home"), ".tether", "docker.sock");
    }
}
