package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.Endpoint;
import dev.tether.labeler.TetherLabels;
import dev.tether.labeler.Tie;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A tether proxy running in this JVM for one test class, on a short socket path under /tmp, relaying to the real
 * engine. Register with {@code @RegisterExtension static final TetherExtension tether = new TetherExtension();}.
 */
public final class TetherExtension implements BeforeAllCallback, AfterAllCallback {

    private Path dir;
    private Path socket;
    private DockerProxy proxy;
    private final List<DockerProxy> extraProxies = new ArrayList<>();

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-it");
        socket = dir.resolve("docker.sock");
        proxy = DockerProxy.start(ProxyConfig.of(socket, Engine.endpoint()));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            for (DockerProxy p : extraProxies) {
                try {
                    p.close(); // a test may have closed it already
                } catch (RuntimeException ignored) {
                    // closing twice is not what is tested here
                }
            }
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            Engine.cleanup();
            deleteTree(dir);
        }
    }

    /** The socket clients under test connect to: tether's. */
    public Path socket() {
        return socket;
    }

    /** This class's scratch folder (short, under /tmp). */
    public Path dir() {
        return dir;
    }



    public DockerProxy proxy() {
        return proxy;
    }

    public Cli cli(String binary) {
        Cli.requireInstalled(binary);
        return new Cli(binary, socket);
    }

    public RawHttp connect() {
        return RawHttp.connect(socket);
    }

    public RawHttp.Response call(RawHttp.Request request) {
        try (RawHttp http = connect()) {
            return http.exchange(request);
        }
    }

    /** Starts one more proxy (closed after the class), on {@code <dir>/<name>}, relaying to {@code upstream}. */
    public DockerProxy startProxy(String name, Endpoint upstream) throws IOException {
        return startProxy(ProxyConfig.of(dir.resolve(name), upstream));
    }

    /** Starts one more proxy (closed after the class) as {@code config} says. */
    public DockerProxy startProxy(ProxyConfig config) throws IOException {
        DockerProxy p = DockerProxy.start(config);
        extraProxies.add(p);
        return p;
    }

    /**
     * Checks the labels tether adds to every create through it: a known tie mode, the proxy's instance, and the
     * connecting process as owner.
     */
    public void assertLabelledByTether(JsonNode container, long ownerPid) {
        JsonNode labels = container.at("/Config/Labels");
        assertThat(labels.path(TetherLabels.INSTANCE).asText(null)).as(TetherLabels.INSTANCE + " in " + labels)
                .isEqualTo(proxy.instance());
        assertThat(labels.path(TetherLabels.OWNER_PID).asText(null)).as(TetherLabels.OWNER_PID + " in " + labels)
                .isEqualTo(Long.toString(ownerPid));
        assertThat(Tie.fromLabel(labels.path(TetherLabels.TIE).asText(""))).as(TetherLabels.TIE + " in " + labels)
                .isPresent();
    }

    /** Polls {@code value} until it equals {@code expected}. */
    public static void awaitValue(IntSupplier value, int expected, String what, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        int last;
        while ((last = value.getAsInt()) != expected) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + " is still " + last + " after " + timeout + ", expected " + expected);
            }
            Engine.pause();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
