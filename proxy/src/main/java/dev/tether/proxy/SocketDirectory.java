package dev.tether.proxy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Refuses a socket path whose directory another user could change, by the rule of {@link SocketSafety}. */
final class SocketDirectory {

    private SocketDirectory() {}

    /**
     * Refuses {@code socket} if its directory, or the nearest existing one above it when tether is to create it,
     * could be changed by another user. Checks before anything is created.
     */
    static void check(Path socket) throws IOException {
        List<SocketSafety.Finding> findings = SocketSafety.ofDirectory(socket);
        if (!findings.isEmpty()) {
            SocketSafety.Finding first = findings.getFirst();
            throw new ListeningSocket.Refused("refusing socket " + socket + ": " + first.problem() + "; " + first.fix());
        }
    }
}
