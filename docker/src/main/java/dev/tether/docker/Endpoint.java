package dev.tether.docker;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** Where a Docker engine listens: a unix socket or a TCP address, plain or with TLS. */
public sealed interface Endpoint {

    /** The DOCKER_HOST form of this endpoint, e.g. {@code unix:///var/run/docker.sock}. */
    String uri();

    record Unix(Path socket) implements Endpoint {
        public Unix {
            socket = socket.toAbsolutePath().normalize();
        }

        @Override
        public String uri() {
            return "unix://" + socket;
        }
    }

    /** @param tls how to speak TLS to it; empty: plain HTTP */
    record Tcp(String host, int port, Optional<EngineTls> tls) implements Endpoint {
        public Tcp(String host, int port) {
            this(host, port, Optional.empty());
        }

        public Tcp withTls(Optional<EngineTls> tls) {
            return new Tcp(host, port, tls);
        }

        @Override
        public String uri() {
            return "tcp://" + host + ":" + port;
        }
    }

    /**
     * Reads a DOCKER_HOST value: {@code unix:///path}, {@code tcp://host:port} (or {@code http://}),
     * or a bare absolute socket path.
     *
     * @throws IllegalArgumentException saying what form was expected
     */
    static Endpoint parse(String value) {
        String v = value.strip();
        if (v.startsWith("/")) {
            return new Unix(Path.of(v));
        }
        if (v.startsWith("unix://")) {
            String path = v.substring("unix://".length());
            if (path.isEmpty() || !path.startsWith("/")) {
                throw new IllegalArgumentException("'" + value + "' is not a unix socket URL: use unix:///absolute/path");
            }
            return new Unix(Path.of(path));
        }
        if (v.startsWith("tcp://") || v.startsWith("http://")) {
            URI uri = URI.create(v);
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("'" + value + "' has no host: use tcp://HOST:PORT");
            }
            return new Tcp(uri.getHost(), uri.getPort() == -1 ? 2375 : uri.getPort());
        }
        throw new IllegalArgumentException("unsupported Docker endpoint '" + value
                + "': use unix:///path/to/docker.sock or tcp://HOST:PORT");
    }
}
