package dev.tether.docker;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/** Where a Docker engine listens: a unix socket, a TCP address (plain or with TLS), or a host reached by ssh. */
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
     * An engine on another host, reached as the docker CLI reaches it: {@code ssh [-l USER] [-p PORT] HOST docker
     * system dial-stdio} per connection ({@link SshBridge}).
     *
     * @param path the engine's socket on that host; empty: its docker CLI's default
     */
    record Ssh(Optional<String> user, String host, OptionalInt port, String path) implements Endpoint {
        @Override
        public String uri() {
            return "ssh://" + user.map(u -> u + "@").orElse("") + host
                    + (port.isPresent() ? ":" + port.getAsInt() : "") + path;
        }

        /** What to type after {@code ssh} to reach the same host by hand. */
        public String hostArgument() {
            return user.map(u -> u + "@").orElse("") + host + (port.isPresent() ? " -p " + port.getAsInt() : "");
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
        if (v.startsWith("ssh://")) {
            return ssh(value, v);
        }
        throw new IllegalArgumentException("unsupported Docker endpoint '" + value
                + "': use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]");
    }

    /** The docker CLI's rules for an ssh URL (connhelper/ssh): no password, query or fragment; a host. */
    private static Ssh ssh(String value, String v) {
        URI uri;
        try {
            uri = new URI(v);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + value + "' is not an ssh URL: use ssh://[USER@]HOST[:PORT]");
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && userInfo.contains(":")) {
            throw new IllegalArgumentException("'" + value + "': a password in an ssh URL is not supported (neither is"
                    + " it by the docker CLI): use a key, or your ssh agent");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + value + "': an ssh URL takes no query or fragment");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("'" + value + "' has no host: use ssh://[USER@]HOST[:PORT]");
        }
        return new Ssh(Optional.ofNullable(uri.getUserInfo()).filter(u -> !u.isEmpty()), uri.getHost(),
                uri.getPort() == -1 ? OptionalInt.empty() : OptionalInt.of(uri.getPort()),
                uri.getPath() == null ? "" : uri.getPath());
    }
}
