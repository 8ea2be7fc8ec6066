package dev.tether.proxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Who is on the other end of a loopback TCP connection. TCP has no SO_PEERCRED, but the kernel lists the client's
 * own socket in {@code /proc/net/tcp} (or {@code tcp6}) with its uid and inode, and the process holding that inode
 * has a descriptor reading {@code socket:[inode]} under {@code /proc/PID/fd}.
 */
final class LoopbackPeers {

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    /** The client's end of a connection, as the kernel lists it. */
    record ClientSocket(int uid, long inode) {}

    private LoopbackPeers() {}

    /** The socket whose local end is {@code client} and whose remote end is {@code server}. */
    static Optional<ClientSocket> find(InetSocketAddress client, InetSocketAddress server) {
        for (Path table : TABLES) {
            try {
                for (String line : Files.readAllLines(table)) {
                    Optional<ClientSocket> found = match(line, client, server);
                    if (found.isPresent()) {
                        return found;
                    }
                }
            } catch (IOException e) {
                // no IPv6, or no /proc: the other table, or nobody
            }
        }
        return Optional.empty();
    }

    /** One line of /proc/net/tcp[6]: {@code sl local rem st tx:rx tr:when retrnsmt uid timeout inode …}. */
    static Optional<ClientSocket> match(String line, InetSocketAddress client, InetSocketAddress server) {
        String[] f = line.strip().split("\\s+");
        if (f.length < 10 || !f[0].endsWith(":")) {
            return Optional.empty(); // the header
        }
        try {
            if (endpoint(f[1]).equals(normalise(client)) && endpoint(f[2]).equals(normalise(server))) {
                return Optional.of(new ClientSocket(Integer.parseInt(f[7]), Long.parseLong(f[9])));
            }
        } catch (IllegalArgumentException | UnknownHostException e) {
            // a line this parser does not know: not ours
        }
        return Optional.empty();
    }

    /**
     * The process holding a socket inode, empty if none can be seen. Newest first: the client has just connected,
     * so it is most likely a recent process, and the scan stops at the first holder (a fork may share the socket).
     */
    static OptionalLong pidHolding(long inode) {
        String link = "socket:[" + inode + "]";
        long[] pids;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            pids = procs.map(p -> p.getFileName().toString()).filter(LoopbackPeers::isPid)
                    .mapToLong(Long::parseLong).sorted().toArray();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        for (int i = pids.length - 1; i >= 0; i--) {
            if (holds(Path.of("/proc", Long.toString(pids[i])), link)) {
                return OptionalLong.of(pids[i]);
            }
        }
        return OptionalLong.empty();
    }

    private static boolean holds(Path proc, String link) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(link)) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // gone, or another user's process and tether is not root
        }
        return false;
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }

    /**
     * {@code 0100007F:9C40}: the address is the network-order bytes printed as native-order 32-bit words, the port
     * plain hex.
     */
    static InetSocketAddress endpoint(String field) throws UnknownHostException {
        int colon = field.indexOf(':');
        String hex = field.substring(0, colon);
        if (hex.length() != 8 && hex.length() != 32) {
            throw new IllegalArgumentException("not an address: " + field);
        }
        ByteBuffer bytes = ByteBuffer.allocate(hex.length() / 2).order(ByteOrder.nativeOrder());
        for (int i = 0; i < hex.length(); i += 8) {
            bytes.putInt((int) Long.parseLong(hex.substring(i, i + 8), 16));
        }
        // getByAddress turns an IPv4-mapped IPv6 address into the IPv4 one, as normalise does
        return new InetSocketAddress(InetAddress.getByAddress(bytes.array()), Integer.parseInt(field.substring(colon + 1), 16));
    }

    static InetSocketAddress normalise(InetSocketAddress address) throws UnknownHostException {
        return new InetSocketAddress(InetAddress.getByAddress(address.getAddress().getAddress()), address.getPort());
    }
}
