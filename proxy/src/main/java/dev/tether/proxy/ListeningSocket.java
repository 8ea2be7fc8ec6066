package dev.tether.proxy;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The socket file: where it may go, what to do with one already there, and who may connect to it. The socket is
 * bound inside a private directory, given its mode and group there, and only then moved into place, so no other
 * user can connect to it even for an instant. Its directory must be one no other user can change
 * ({@link SocketDirectory}).
 */
final class ListeningSocket {

    /** sockaddr_un holds 108 bytes, the terminating NUL included. */
    static final int MAX_PATH_BYTES = 107;

    private ListeningSocket() {}

    /** Thrown when tether must not start on this path; the message says why and what to do. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /** Checks the path and clears a stale socket left by a crash; refuses a live one and anything not a socket. */
    static void prepare(Path socket, Optional<String> group) throws IOException {
        if (socket.toString().getBytes().length > MAX_PATH_BYTES) {
            throw new Refused("socket path " + socket + " is longer than " + MAX_PATH_BYTES
                    + " bytes, the limit of a unix socket address; choose a shorter --socket");
        }
        SocketDirectory.check(socket);
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString(group.isPresent() ? "rwxr-x---" : "rwx------")));
            if (group.isPresent()) {
                PosixCalls.chgrp(dir, groupId(group.get())); // else the group could not reach the socket inside
            }
            SocketDirectory.check(socket); // another user may have made it first
        }
        if (Files.isSymbolicLink(socket)) {
            throw new Refused(socket + " is a symbolic link; tether will not follow it: remove it or choose another --socket");
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(socket)) {
            throw new Refused(socket + " exists and is not a socket; tether will not replace it: move it away or choose another --socket");
        }
        if (answers(socket)) {
            throw new Refused("another process is already listening on " + socket
                    + " (a running tether?); stop it first, or choose another --socket");
        }
        Files.delete(socket); // a stale socket from a tether that crashed: nothing listens on it
    }

    /** Creates a path, in the socket's own directory, where the socket can be bound unseen. */
    static Path privateBindPath(Path socket) throws IOException {
        Path dir = socket.getParent();
        for (int attempt = 0; ; attempt++) {
            Path hidden = dir.resolve(".t" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36));
            try {
                Files.createDirectory(hidden, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                return hidden.resolve("s");
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            }
        }
    }

    /** Gives the bound socket its mode and group, then moves it into place atomically. */
    static void publish(Path bound, Path socket, Optional<String> group) throws IOException {
        if (group.isPresent()) {
            PosixCalls.chgrp(bound, groupId(group.get()));
            PosixCalls.chmod(bound, 0660);
        } else {
            PosixCalls.chmod(bound, 0600);
        }
        Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(bound.getParent());
    }

    private static int groupId(String group) throws Refused {
        int gid = PosixCalls.groupId(group);
        if (gid < 0) {
            throw new Refused("no group named '" + group + "' (--socket-group)");
        }
        return gid;
    }

    static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return ch.isConnected();
        } catch (IOException e) {
            return false; // refused: nobody listens
        }
    }

    private static boolean isSocket(Path path) throws IOException {
        Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return mode instanceof Integer m && (m & 0170000) == 0140000;
    }
}
