package dev.tether.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --socket}, shared by every command that serves tether's socket or looks for the tether serving it. */
final class SocketOption {

    @Option(names = "--socket", paramLabel = "PATH",
            description = "tether's socket (default: $XDG_RUNTIME_DIR/tether/docker.sock, else ~/.tether/docker.sock).")
    Path socket;

    /** The socket named, else the default, as one absolute path: what `tether up` binds and the others look for. */
    Path path() {
        return (socket != null ? socket : UserDirs.current().defaultSocket()).toAbsolutePath().normalize();
    }
}
