package dev.tether.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.tether.docker.Endpoint;
import dev.tether.docker.Endpoints;
import dev.tether.labeler.Tie;
import dev.tether.proxy.DockerProxy;
import dev.tether.proxy.ProxyConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tether up}: serve the substitute Docker socket until SIGTERM or SIGINT. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Listens on a substitute Docker socket and relays to the engine,",
                "labelling every container created through it with its owner."})
final class Up implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(Up.class);

    @Option(names = "--socket", paramLabel = "PATH",
            description = "Socket to listen on (default: $XDG_RUNTIME_DIR/tether/docker.sock, else ~/.tether/docker.sock).")
    Path socket;

    @Option(names = "--socket-group", paramLabel = "NAME",
            description = "Let this group connect too (mode 0660); by default only you can (0600).")
    String socketGroup;

    @Option(names = "--upstream", paramLabel = "URL",
            description = "The engine to relay to (default: $DOCKER_HOST unless it is tether's own socket, else unix:///var/run/docker.sock).")
    String upstream;

    @Option(names = "--tie", paramLabel = "MODE",
            description = "Force one tie mode for every container created on this socket: ${COMPLETION-CANDIDATES}.")
    Tie tie;

    @Option(names = {"-v", "--verbose"}, description = "Log every connection and request decision.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (verbose) {
            ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("dev.tether").setLevel(Level.DEBUG);
        }
        Path path = (socket != null ? socket : Sockets.defaultSocket()).toAbsolutePath().normalize();
        Endpoint engine = upstream != null
                ? Endpoint.parse(upstream)
                : Endpoints.upstream(Optional.ofNullable(System.getenv("DOCKER_HOST")), path);
        var config = new ProxyConfig(path, Optional.ofNullable(socketGroup), engine, Optional.ofNullable(tie));
        DockerProxy proxy = DockerProxy.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: no new connections; closing open ones");
            proxy.close();
            stopped.countDown();
        }, "tether-shutdown"));
        System.out.println("export DOCKER_HOST=unix://" + path);
        System.out.flush();
        stopped.await();
        return 0;
    }
}
