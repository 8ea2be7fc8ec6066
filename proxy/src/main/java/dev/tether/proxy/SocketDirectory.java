package dev.tether.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import dev.tether.process.Libc;

/**
 * Whether a directory may hold tether's sockets. Whoever can write to the socket's directory can create the path
 * before tether does, or replace the socket while it runs, and every client would then hand its requests (registry
 * credentials included) to them. So the directory must be writable by nobody but its owner, that owner must be
 * tether's own user or root, and no directory above it may be open to renaming by others.
 */
final class SocketDirectory {

    private static final int WORLD_WRITABLE = 0002;
    private static final int STICKY = 01000;
    private static final String WHAT_TO_DO = "put the socket in a private directory, such as the default"
            + " $XDG_RUNTIME_DIR/tether, with --socket";

    private SocketDirectory() {}

    /**
     * Refuses {@code socket} if its directory, or the nearest existing one above it when tether is to create it,
     * could be changed by another user. Checks before anything is created.
     */
    static void check(Path socket) throws IOException {
        Path dir = socket.getParent();
        int self = Libc.effectiveUid();
        boolean own = true; // the socket's own directory: not even a sticky bit makes it private
        for (Path d = dir; d != null; d = d.getParent()) {
            if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                own = false; // tether will create it, private; what holds it is checked as a parent
                continue;
            }
            Path real = d.toRealPath();
            int mode = (Integer) Files.getAttribute(real, "unix:mode");
            int owner = (Integer) Files.getAttribute(real, "unix:uid");
            if (own && (mode & WORLD_WRITABLE) != 0) {
                throw new ListeningSocket.Refused("refusing socket " + socket + ": its directory " + d
                        + " is writable by every user (mode " + octal(mode) + "), so another user could create that"
                        + " path first or replace the socket, and clients would talk to them; " + WHAT_TO_DO);
            }
            if (!own && (mode & WORLD_WRITABLE) != 0 && (mode & STICKY) == 0) {
                throw new ListeningSocket.Refused("refusing socket " + socket + ": " + d + ", above it, is writable"
                        + " by every user and not sticky (mode " + octal(mode) + "), so another user could rename"
                        + " the socket's directory and put their own in its place; " + WHAT_TO_DO);
            }
            if (owner != self && owner != 0) {
                throw new ListeningSocket.Refused("refusing socket " + socket + ": " + d + " belongs to "
                        + Files.getOwner(real).getName() + " (uid " + owner + "), who could replace the socket and"
                        + " have clients talk to them; " + WHAT_TO_DO);
            }
            own = false;
        }
    }

    private static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }
}
