package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import dev.tether.process.Libc;

class LoopbackPeersTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2375);

    @Test
    void aLineOfProcNetTcpIsMatchedByBothEnds() {
        // 0x9C40 = 40000, 0x0947 = 2375; 127.0.0.1 is printed as a little-endian word on x86
        String line = "   3: 0100007F:9C40 0100007F:0947 01 00000000:00000000 00:00000000 00000000  1000        0 123456 1";

        assertThat(LoopbackPeers.match(line, CLIENT, SERVER)).contains(new LoopbackPeers.ClientSocket(1000, 123456));
        assertThat(LoopbackPeers.match(line, SERVER, CLIENT)).as("tether's own end of the connection").isEmpty();
    }

    @Test
    void theHeaderAndOtherConnectionsAreNotMatched() {
        assertThat(LoopbackPeers.match("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
                + "   uid  timeout inode", CLIENT, SERVER)).isEmpty();
        assertThat(LoopbackPeers.match("   3: 0100007F:9C41 0100007F:0947 01 00000000:00000000 00:00000000 00000000"
                + "  1000        0 123456 1", CLIENT, SERVER)).isEmpty();
    }

    @Test
    void anIpv4MappedIpv6LineMatchesTheIpv4Address() {
        String line = "   0: 0000000000000000FFFF00000100007F:9C40 0000000000000000FFFF00000100007F:0947 01"
                + " 00000000:00000000 00:00000000 00000000     0        0 777 1";

        assertThat(LoopbackPeers.match(line, CLIENT, SERVER)).contains(new LoopbackPeers.ClientSocket(0, 777));
    }

    @Test
    void aRealLoopbackConnectionLeadsToThisProcess() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            var socket = LoopbackPeers.find((InetSocketAddress) accepted.getRemoteSocketAddress(),
                    (InetSocketAddress) accepted.getLocalSocketAddress());
            var pid = LoopbackPeers.pidHolding(socket.orElseThrow().inode());

            long fastest = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long began = System.nanoTime();
                LoopbackPeers.pidHolding(LoopbackPeers.find((InetSocketAddress) accepted.getRemoteSocketAddress(),
                        (InetSocketAddress) accepted.getLocalSocketAddress()).orElseThrow().inode());
                fastest = Math.min(fastest, System.nanoTime() - began);
            }
            System.out.printf("[loopback-peer] %d processes, found in %.1f ms (fastest of 5)%n",
                    java.nio.file.Files.list(java.nio.file.Path.of("/proc")).filter(p -> p.getFileName().toString()
                            .chars().allMatch(Character::isDigit)).count(), fastest / 1e6);
            assertThat(socket.get().uid()).isEqualTo(Libc.effectiveUid());
            assertThat(pid).hasValue(ProcessHandle.current().pid());
        }
    }
}
