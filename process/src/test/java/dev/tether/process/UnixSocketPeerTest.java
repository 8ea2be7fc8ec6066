package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Libc#unixSocketPeer} against real connected unix sockets of this JVM, found by their inodes in /proc. */
class UnixSocketPeerTest {

    @Test
    void aConnectedSocketNamesItsPeerAndAClosedPeerReadsZero(@TempDir Path dir) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
        Set<Long> before = socketInodes();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
             SocketChannel client = SocketChannel.open(address)) {
            SocketChannel accepted = server.accept();
            Set<Long> opened = new HashSet<>(socketInodes());
            opened.removeAll(before);
            // the listener, the client and the accepted socket, and whatever else the JVM opened meanwhile
            List<Long> pair = opened.stream()
                    .filter(a -> Libc.unixSocketPeer(a) > 0 && opened.contains(Libc.unixSocketPeer(a))
                            && Libc.unixSocketPeer(Libc.unixSocketPeer(a)) == a)
                    .sorted().toList();
            assertThat(pair).as("the client and the accepted socket name each other").hasSize(2);
            Set<Long> connected = new HashSet<>(pair);

            accepted.close();
            Set<Long> left = new HashSet<>(connected);
            left.retainAll(socketInodes());
            assertThat(left).hasSize(1);
            assertThat(Libc.unixSocketPeer(left.iterator().next())).as("the client, its peer closed").isZero();
        }
        assertThat(Libc.unixSocketPeer(Long.MAX_VALUE & 0xffffffffL)).as("no such socket").isEqualTo(-1);
    }

    private static Set<Long> socketInodes() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return "";
                }
            }).filter(l -> l.startsWith("socket:[")).map(l -> Long.parseLong(l.substring(8, l.length() - 1)))
                    .collect(Collectors.toSet());
        }
    }
}
