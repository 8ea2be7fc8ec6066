package dev.tether.cli;

import dev.tether.docker.DockerContexts;
import dev.tether.docker.Endpoint;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether context}: a docker context named {@code tether} whose endpoint is tether's socket. */
@Command(name = "context", mixinStandardHelpOptions = true,
        description = {"Creates the docker context `tether`, whose engine is tether's socket.",
                "Then `docker context use tether` routes the docker CLI through tether, without DOCKER_HOST.",
                "Written in the docker CLI's own store ($DOCKER_CONFIG, else ~/.docker); running it again",
                "changes nothing, or points the context at this socket if it pointed elsewhere.",
                "tether itself never relays to this context. Exits 1 if --remove finds it in use."})
final class ContextCommand implements Callable<Integer> {

    @Mixin
    SocketOption socket;

    @Option(names = "--remove", description = "Remove the context instead (refused while it is the docker CLI's current one).")
    boolean remove;

    @Override
    public Integer call() throws Exception {
        Path path = socket.path();
        DockerContexts store = DockerContexts.of(System.getenv(), UserDirs.current().home());
        String name = DockerContexts.TETHER;
        if (remove) {
            Optional<String> current = store.currentContext(w -> { });
            if (current.equals(Optional.of(name))) {
                System.err.println("tether: the docker context `" + name + "` is the docker CLI's current context ("
                        + store.configFile() + "): switch away first, docker context use default, then tether context --remove");
                return 1;
            }
            System.out.println(store.remove(name)
                    ? "removed the docker context `" + name + "` (" + store.metaDir(name) + ")"
                    : "there is no docker context `" + name + "` in " + store.configDir());
            return 0;
        }
        Endpoint endpoint = new Endpoint.Unix(path);
        DockerContexts.Written written = store.write(name, "the docker engine through tether's socket", endpoint);
        Path meta = store.metaDir(name).resolve("meta.json");
        System.out.println(switch (written) {
            case CREATED -> "created the docker context `" + name + "`: " + endpoint.uri() + " (" + meta + ")";
            case UPDATED -> "pointed the docker context `" + name + "` at " + endpoint.uri() + " (" + meta + ")";
            case UNCHANGED -> "the docker context `" + name + "` already points at " + endpoint.uri() + " (" + meta + ")";
        });
        if (!store.currentContext(w -> { }).equals(Optional.of(name))) {
            System.out.println("Route the docker CLI through tether: docker context use " + name
                    + " (or, for one command, docker --context " + name + " …)");
        }
        return 0;
    }
}
