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
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.ThreadLocalRandom;
import dev.tether.labeler.ProcessId;
import dev.tether.process.Libc;
import dev.tether.process.Processes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket file: where it may go, what to do with one already there, and who may connect to it. The socket is
 * bound inside a private directory, given its mode and group there, and only then moved into place, so no other
 * user can connect to it even for an instant. Its directory must be one no other user can change
 * ({@link SocketDirectory}).
 */
final class ListeningSocket {

    private static final Logger log = LoggerFactory.getLogger(ListeningSocket.class);

    /** sockaddr_un holds 108 bytes, the terminating NUL included. */
    static final int MAX_PATH_BYTES = 107;

    /** Far longer than the launcher's test of the lock holds it. */
    private static final Duration CLAIM_PATIENCE = Duration.ofSeconds(2);

    private ListeningSocket() {}

    /** Thrown when tether must not start on this path; the message says why and what to do. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * A tether's claim on its socket path for its whole life: an exclusive flock on {@code <socket>.lock}. Two
     * tethers starting at once on one path cannot both bind. The file stays when released: removing a lock file lets
     * a second locker lock a file nobody else sees.
     *
     * <p>The file's one line also tells the launcher's {@code tether run}, without a JVM, whether the tether serves:
     * <ul>
     *   <li>{@code PID} from the moment the lock is taken until the socket listens, and again from the moment the
     *       tether begins to stop;</li>
     *   <li>{@code PID serving START} while the socket listens, START being the tether's start time
     *       (/proc/PID/stat field 22, clock ticks since boot).</li>
     * </ul>
     * The launcher takes the socket for served only if the lock is held, the socket file exists, and the line ends
     * in a newline, says {@code serving} and names a live process with that start time. A crashed tether leaves its
     * socket file and its {@code serving} line behind, and a new tether takes the lock an instant before it rewrites
     * the line: in that instant the line names a dead process, so it is never taken for a served socket. Each write
     * replaces the whole line; a reader that catches one half-written sees no newline and waits.
     */
    static final class Claim implements AutoCloseable {
        private final int fd;
        private final Path lock;
        private boolean serving;
        private boolean released;

        private Claim(int fd, Path lock) {
            this.fd = fd;
            this.lock = lock;
        }

        /** The socket listens: from now on the launcher may hand it to commands. */
        synchronized void markServing() throws IOException {
            ProcessId self = Processes.self();
            Files.writeString(lock, self.pid() + " serving " + self.startTicks() + "\n");
            serving = true;
        }

        /** The tether begins to stop: a launcher must wait for it to go rather than hand its socket out. */
        synchronized void markNotServing() {
            if (serving && !released) {
                serving = false;
                try {
                    Files.writeString(lock, ProcessHandle.current().pid() + "\n");
                } catch (IOException e) {
                    log.warn("could not mark {} as no longer serving: {}", lock, e.toString());
                }
            }
        }

        @Override
        public synchronized void close() {
            markNotServing();
            if (!released) {
                released = true;
                Libc.unlock(fd);
            }
        }
    }

    static Path lockFile(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".lock");
    }

    /**
     * Claims the path for this tether, then {@link #prepare prepares} it: refuses a path another tether holds.
     * The claim covers the control socket beside it too.
     */
    static Claim claim(Path socket, Optional<String> group) throws IOException {
        checkLength(socket);
        makeDirectory(socket, group);
        Path lock = lockFile(socket);
        // `tether run` tests the lock by taking it shared for an instant: a refusal waits those out.
        long deadline = System.nanoTime() + CLAIM_PATIENCE.toNanos();
        int fd;
        while ((fd = Libc.tryExclusiveFlock(lock)) < 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        if (fd < 0) {
            String holder = Files.readString(lock).strip().split("\\s+")[0];
            throw new AlreadyServed("another tether" + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                    + " is already running on " + socket + " (it holds " + lock + "); stop it first, or choose another --socket");
        }
        Claim claim = new Claim(fd, lock);
        try {
            // First thing: a crashed tether's "serving" line must not outlive it a moment longer than needed.
            Files.writeString(lock, ProcessHandle.current().pid() + "\n");
            prepare(socket, group);
            return claim;
        } catch (IOException | RuntimeException e) {
            claim.close();
            throw e;
        }
    }

    /** Checks the path and clears a stale socket left by a crash; refuses a live one and anything not a socket. */
    static void prepare(Path socket, Optional<String> group) throws IOException {
        checkLength(socket);
        makeDirectory(socket, group);
        clearStale(socket);
    }

    private static void checkLength(Path socket) throws Refused {
        if (socket.toString().getBytes().length > MAX_PATH_BYTES) {
            throw new Refused("socket path " + socket + " is longer than " + MAX_PATH_BYTES
                    + " bytes, the limit of a unix socket address; choose a shorter --socket");
        }
    }

    private static void makeDirectory(Path socket, Optional<String> group) throws IOException {
        SocketDirectory.check(socket);
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString(group.isPresent() ? "rwxr-x---" : "rwx------")));
            if (group.isPresent()) {
                Libc.chgrp(dir, groupId(group.get())); // else the group could not reach the socket inside
            }
            SocketDirectory.check(socket); // another user may have made it first
        }
    }

    private static void clearStale(Path socket) throws IOException {
        if (Files.isSymbolicLink(socket)) {
            throw new Refused(socket + " is a symbolic link; tether will not follow it: remove it or choose another --socket");
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!SocketSafety.isSocket(socket)) {
            throw new Refused(socket + " exists and is not a socket; tether will not replace it: move it away or choose another --socket");
        }
        if (answers(socket)) {
            throw new AlreadyServed("another process is already listening on " + socket
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
            Libc.chgrp(bound, groupId(group.get()));
            Libc.chmod(bound, 0660);
        } else {
            Libc.chmod(bound, 0600);
        }
        Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(bound.getParent());
    }

    private static int groupId(String group) throws Refused {
        int gid = Libc.groupId(group);
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
}
