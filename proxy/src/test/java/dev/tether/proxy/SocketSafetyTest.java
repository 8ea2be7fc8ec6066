package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.process.Libc;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one socket-safety rule, on real directories and a real socket: what tether up refuses and doctor reports. */
class SocketSafetyTest {

    @TempDir
    Path tmp;

    @Test
    void aPrivateDirectoryHasNoFinding() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("private"));
        Libc.chmod(dir, 0700);

        assertThat(SocketSafety.ofDirectory(dir.resolve("d.sock"))).isEmpty();
        assertThat(SocketSafety.ofDirectory(dir.resolve("to-be-made/d.sock"))).as("created private by tether").isEmpty();
    }

    @Test
    void aWorldWritableOwnDirectoryIsUnsafeEvenWhenSticky() throws IOException {
        for (int mode : new int[] {0777, 01777}) {
            Path dir = Files.createDirectory(tmp.resolve("open-" + Integer.toOctalString(mode)));
            Libc.chmod(dir, mode);

            List<SocketSafety.Finding> findings = SocketSafety.ofDirectory(dir.resolve("d.sock"));

            assertThat(findings).singleElement().satisfies(f -> {
                assertThat(f.severity()).isEqualTo(SocketSafety.Severity.UNSAFE);
                assertThat(f.problem()).startsWith("its directory " + dir + " is writable by every user (mode "
                        + String.format("%04o", mode) + ")");
                assertThat(f.fix()).contains("$XDG_RUNTIME_DIR/tether");
            });
        }
    }

    @Test
    void aWorldWritableDirectoryAboveIsUnsafeOnlyWithoutTheStickyBit() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Libc.chmod(open, 0777);
        Path sticky = Files.createDirectory(tmp.resolve("sticky"));
        Libc.chmod(sticky, 01777);

        assertThat(SocketSafety.ofDirectory(open.resolve("mine/d.sock"))).singleElement()
                .satisfies(f -> assertThat(f.problem()).startsWith(open + ", above it, is writable by every user and not sticky"));
        assertThat(SocketSafety.ofDirectory(sticky.resolve("mine/d.sock"))).isEmpty();
    }

    @Test
    void aSocketEveryUserMayOpenIsUnsafe() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("s"));
        Path socket = dir.resolve("d.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Libc.chmod(socket, 0600);
            assertThat(SocketSafety.isSocket(socket)).isTrue();
            assertThat(SocketSafety.ofSocket(socket)).isEmpty();

            Libc.chmod(socket, 0666);

            assertThat(SocketSafety.ofSocket(socket)).singleElement().satisfies(f -> {
                assertThat(f.severity()).isEqualTo(SocketSafety.Severity.UNSAFE);
                assertThat(f.problem()).isEqualTo("every user can reach the Docker engine through it");
            });
        }
        assertThat(SocketSafety.isSocket(Files.writeString(dir.resolve("file"), "x"))).isFalse();
    }
}
