package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import dev.tether.process.Libc;
import dev.tether.proxy.Engine;
import dev.tether.proxy.ControlServer;

/**
 * Where {@code tether up} will put its sockets, as a real process: never in a directory another user could change,
 * and the control socket exactly as private as the Docker one.
 */
@Timeout(120)
class SocketPathsIT {

    private Path dir;
    private final List<Launched> launched = new ArrayList<>();

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-paths");
    }

    @AfterEach
    void stopAll() throws IOException {
        launched.forEach(l -> l.process.destroyForcibly());
        Libc.chmod(dir, 0700);
        ReapKit.deleteTree(dir);
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(ints = {0777, 01777})
    void aSocketInAWorldWritableDirectoryIsRefusedAndNothingIsCreated(int mode) throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Libc.chmod(open, mode);

        Launched tether = refused(open.resolve("docker.sock"));

        assertThat(tether.stderr()).contains("its directory " + open + " is writable by every user (mode "
                + String.format("%04o", mode) + "), so another user could create that path first or replace the socket")
                .contains("put the socket in a private directory, such as the default $XDG_RUNTIME_DIR/tether");
        assertThat(list(open)).as("nothing created in " + open).isEmpty();
    }

    @Test
    void aSocketRightInTmpIsRefused() throws Exception {
        Path socket = Path.of("/tmp", dir.getFileName() + "-docker.sock");

        Launched tether = refused(socket);

        assertThat(tether.stderr()).contains("its directory /tmp is writable by every user (mode 1777)");
        assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(Path.of(socket + ".control"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws Exception {
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        Libc.chmod(theirs, 0755);
        Files.setAttribute(theirs, "unix:uid", 65534);

        Launched tether = refused(theirs.resolve("docker.sock"));

        assertThat(tether.stderr()).contains(theirs + " belongs to nobody (uid 65534), who could replace the socket");
        assertThat(list(theirs)).isEmpty();
    }

    @Test
    void aWorldWritableDirectoryAboveWithoutTheStickyBitIsRefused() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Libc.chmod(open, 0777);
        Path mine = Files.createDirectory(open.resolve("mine"));

        Launched tether = refused(mine.resolve("docker.sock"));

        assertThat(tether.stderr()).contains(open + ", above it, is writable by every user and not sticky (mode 0777)");
        assertThat(list(mine)).isEmpty();
    }

    @Test
    void aPrivateDirectoryUnderTmpIsCreatedAndBothSocketsAreOwnerOnly() throws Exception {
        Path socket = dir.resolve("new/docker.sock");

        ReapKit.Tether tether = ReapKit.Tether.up(socket, "--audit-log", dir.resolve("audit.jsonl").toString());
        try {
            assertThat(mode(socket.getParent())).isEqualTo("rwx------");
            assertThat(mode(socket)).isEqualTo("rw-------");
            assertThat(mode(ControlServer.socketFor(socket))).isEqualTo("rw-------");
        } finally {
            tether.close();
        }
    }

    @Test
    void aSocketGroupGivesBothSocketsAndTheNewDirectoryToThatGroup() throws Exception {
        Path socket = dir.resolve("new/docker.sock");
        Libc.chmod(dir, 0711); // the group must be able to pass through the test's own folder

        ReapKit.Tether tether = ReapKit.Tether.up(socket, "--socket-group", "nogroup",
                "--audit-log", dir.resolve("audit.jsonl").toString());
        try {
            Path control = ControlServer.socketFor(socket);
            assertThat(mode(socket.getParent())).isEqualTo("rwxr-x---");
            assertThat(group(socket.getParent())).isEqualTo("nogroup");
            assertThat(mode(socket)).isEqualTo("rw-rw----");
            assertThat(group(socket)).isEqualTo("nogroup");
            assertThat(mode(control)).isEqualTo("rw-rw----");
            assertThat(group(control)).isEqualTo("nogroup");
            // a member of the group, and no other user, gets through to both
            assertThat(UidClient.curl(65534, 65534, socket, "/_ping").out()).startsWith("HTTP/1.1 200");
            assertThat(UidClient.curl(65534, 65534, control, "/status").out()).startsWith("HTTP/1.1 200");
            assertThat(UidClient.run(65534, 12345, List.of("socat", "-", "UNIX-CONNECT:" + socket)).stderr())
                    .contains("Permission denied");
        } finally {
            tether.close();
        }
    }

    private Launched refused(Path socket) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ReapKit.tetherCommand("up", "--socket", socket.toString(),
                "--upstream", Engine.endpoint().uri(), "--audit-log", dir.resolve("audit.jsonl").toString()));
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        Launched tether = new Launched(pb.start(), true);
        launched.add(tether);
        assertThat(tether.process.waitFor(60, TimeUnit.SECONDS)).as("tether exits").isTrue();
        assertThat(tether.exitCode()).as(tether.stderr()).isEqualTo(1);
        return tether;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    static String group(Path p) throws IOException {
        return Files.getAttribute(p, "posix:group", LinkOption.NOFOLLOW_LINKS).toString();
    }
}
