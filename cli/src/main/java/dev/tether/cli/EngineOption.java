package dev.tether.cli;

import dev.tether.docker.Endpoint;
import dev.tether.docker.EngineChoice;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --upstream}, shared by every command that talks to the engine. */
final class EngineOption {

    @Option(names = "--upstream", paramLabel = "URL",
            description = "The engine: unix://PATH, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT] (default: the one the docker CLI reaches: $DOCKER_HOST unless it is tether's own socket,"
                    + " else $DOCKER_CONTEXT, else the current docker context, else unix:///var/run/docker.sock).")
    String upstream;

    /** The engine, by the docker CLI's rules over this process's environment and the user's ~/.docker. */
    EngineChoice choice(Path ownSocket) {
        return EngineChoice.choose(Optional.ofNullable(upstream), System.getenv(), UserDirs.current().home(), ownSocket);
    }

    Endpoint resolve(Path ownSocket) {
        return choice(ownSocket).endpoint();
    }
}
