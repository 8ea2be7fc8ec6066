package dev.tether.cli;

import dev.tether.docker.Endpoint;
import dev.tether.docker.Endpoints;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --upstream}, shared by every command that talks to the engine. */
final class EngineOption {

    @Option(names = "--upstream", paramLabel = "URL",
            description = "The engine (default: $DOCKER_HOST unless it is tether's own socket, else unix:///var/run/docker.sock).")
    String upstream;

    Endpoint resolve(Path ownSocket) {
        return upstream != null
                ? Endpoint.parse(upstream)
                : Endpoints.upstream(Optional.ofNullable(System.getenv("DOCKER_HOST")), ownSocket);
    }
}
