package dev.tether.proxy;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code tether up --tcp HOST:PORT}: a TCP listener besides the unix socket, with TLS when {@code tls} is set.
 *
 * @param port 0 for any free port
 */
public record TcpListen(String host, int port, Optional<Tls> tls) {

    /**
     * PEM files: the server's certificate chain and private key, and the CA that client certificates must be
     * signed by (every client must present one, as with dockerd's {@code --tlsverify}).
     */
    public record Tls(Path cert, Path key, Path ca) {}

    public TcpListen {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--tcp port " + port + " is out of range 0-65535");
        }
    }

    /** Reads {@code HOST:PORT}, {@code [IPV6]:PORT} or {@code :PORT} (all interfaces). */
    public static TcpListen parse(String hostPort, Optional<Tls> tls) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--tcp " + hostPort + ": give HOST:PORT, such as 127.0.0.1:2375");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new TcpListen(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(hostPort.substring(colon + 1)), tls);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--tcp " + hostPort + ": the port is not a number; give HOST:PORT,"
                    + " such as 127.0.0.1:2375");
        }
    }
}
