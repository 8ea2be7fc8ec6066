package dev.tether.docker;

import java.nio.file.Path;

/** Engines known without asking anyone; which engine tether relays to is {@link EngineChoice}'s to say. */
public final class Endpoints {

    /** The platform's default engine: what the docker CLI's {@code default} context reaches without DOCKER_HOST. */
    public static final Endpoint DEFAULT_ENGINE = new Endpoint.Unix(Path.of("/var/run/docker.sock"));

    private Endpoints() {}
}
