package dev.tether.proxy;

import dev.tether.process.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether tether's socket is safe where it is: the one rule {@code tether up} refuses by and {@code tether doctor}
 * reports by. Whoever can write to the socket's directory can create the path before tether does, or replace the
 * socket while it runs, and every client would then hand its requests (registry credentials included) to them. So
 * the directory must be writable by nobody but its owner, that owner must be tether's own user or root, and no
 * directory above it may be open to renaming by others. The socket itself must not let every user in.
 */
public final class SocketSafety {

    private static final int WORLD = 0007;
    private static final int WORLD_WRITABLE = 0002;
    private static final int STICKY = 01000;
    private static final int FILE_TYPE = 0170000;
    private static final int SOCKET_TYPE = 0140000;
    private static final String PRIVATE_DIRECTORY = "put the socket in a private directory, such as the default"
            + " $XDG_RUNTIME_DIR/tether, with --socket";

    private SocketSafety() {}

    /** How bad a finding is. */
    public enum Severity {
        /** tether up refuses the path, or the running socket lets other users in. */
        UNSAFE,
        /** Allowed, but likely not what was meant. */
        DOUBTFUL
    }

    /** One thing wrong with a socket path: what, and what to do about it. */
    public record Finding(Severity severity, String problem, String fix) {}

    /**
     * What makes {@code socket}'s directory, or the nearest existing one above it when tether is to create it,
     * changeable by another user: what {@code tether up} refuses to start on. Empty when the path is safe; looks
     * only, creates nothing.
     */
    public static List<Finding> ofDirectory(Path socket) throws IOException {
        List<Finding> findings = new ArrayList<>();
        int self = Libc.effectiveUid();
        boolean own = true; // the socket's own directory: not even a sticky bit makes it private
        for (Path d = socket.getParent(); d != null; d = d.getParent()) {
            if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                own = false; // tether will create it, private; what holds it is checked as a parent
                continue;
            }
            Path real = d.toRealPath();
            int mode = (Integer) Files.getAttribute(real, "unix:mode");
            int owner = (Integer) Files.getAttribute(real, "unix:uid");
            if (own && (mode & WORLD_WRITABLE) != 0) {
                findings.add(new Finding(Severity.UNSAFE, "its directory " + d + " is writable by every user (mode "
                        + octal(mode) + "), so another user could create that path first or replace the socket, and"
                        + " clients would talk to them", PRIVATE_DIRECTORY));
            }
            if (!own && (mode & WORLD_WRITABLE) != 0 && (mode & STICKY) == 0) {
                findings.add(new Finding(Severity.UNSAFE, d + ", above it, is writable by every user and not sticky"
                        + " (mode " + octal(mode) + "), so another user could rename the socket's directory and put"
                        + " their own in its place", PRIVATE_DIRECTORY));
            }
            if (owner != self && owner != 0) {
                findings.add(new Finding(Severity.UNSAFE, d + " belongs to " + Files.getOwner(real).getName()
                        + " (uid " + owner + "), who could replace the socket and have clients talk to them",
                        PRIVATE_DIRECTORY));
            }
            own = false;
        }
        return findings;
    }

    /**
     * What is wrong with the socket file itself, which must exist and be a socket: a mode that lets every user
     * reach the engine ({@code tether up} makes it 0600, or 0660 with a group), or another user's ownership.
     */
    public static List<Finding> ofSocket(Path socket) throws IOException {
        List<Finding> findings = new ArrayList<>();
        int mode = mode(socket);
        int owner = (Integer) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if ((mode & WORLD) != 0) {
            findings.add(new Finding(Severity.UNSAFE, "every user can reach the Docker engine through it",
                    "restart tether: tether up makes it 0600 (0660 with --socket-group)"));
        }
        if (owner != Libc.effectiveUid()) {
            findings.add(new Finding(Severity.DOUBTFUL, "owned by another user",
                    "run tether as the user whose clients use it"));
        }
        return findings;
    }

    /** Whether {@code path} itself (not what a symlink there points to) is a unix socket. */
    public static boolean isSocket(Path path) throws IOException {
        return (mode(path) & FILE_TYPE) == SOCKET_TYPE;
    }

    /** The mode bits of {@code path} itself, file type included; a symlink is not followed. */
    public static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    /** {@code 0755}: permission bits as chmod takes them. */
    public static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }
}
