package dev.tether.docker;

import java.nio.file.Path;
import java.util.Optional;

/** Chooses the engine tether relays to. */
public final class Endpoints {

    public static final Endpoint DEFAULT_ENGINE = new Endpoint.Unix(Path.of("/var/run/docker.sock"));

    private Endpoints() {}

    /**
     * The engine to relay to when the user named none: DOCKER_HOST, unless it points at tether's own socket
     * (a shell that already exported tether's line), else the engine's default socket.
     */
    public static Endpoint upstream(Optional<String> dockerHost, Path ownSocket) {
        if (dockerHost.isEmpty() || dockerHost.get().isBlank()) {
            return DEFAULT_ENGINE;
        }
        Endpoint fromEnv = Endpoint.parse(dockerHost.get());
        if (fromEnv instanceof Endpoint.Unix unix && unix.socket().equals(ownSocket.toAbsolutePath().normalize())) {
            return DEFAULT_ENGINE;
        }
        return fromEnv;
    }
}
