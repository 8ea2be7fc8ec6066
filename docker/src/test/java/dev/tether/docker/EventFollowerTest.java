package dev.tether.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Closeable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The event stream the reaper learns containers from, against the real engine: through a relay that can be cut, so
 * the stream breaks as it does when the engine restarts, while the engine itself (and what happens on it) goes on.
 */
@Timeout(120)
class EventFollowerTest {

    private static final Set<String> LIFECYCLE = Set.of("create", "start", "die", "destroy");

    private final TestEngine engine = TestEngine.machine();
    private final List<EngineEvent> seen = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Path dir;

    @BeforeEach
    void setUp() throws Exception {
        engine.requireImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tef-");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
        engine.close();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    @Test
    void deliversTheLifecycleOfALabelledContainerWithItsLabels() throws Exception {
        EngineClient client = track(EngineClient.connect(engine.endpoint()));
        track(client.followContainerEvents(Instant.now(), seen::add));

        String id = engine.runDetached(engine.name("lifecycle"), Map.of("dev.tether.tie", "owner"), List.of(), "true");
        awaitActions(id, List.of("create", "start", "die"));
        engine.docker("rm", id);
        awaitActions(id, List.of("create", "start", "die", "destroy"));

        EngineEvent create = ofContainer(id).getFirst();
        assertThat(create.attributes()).as("labels ride along").containsEntry("dev.tether.tie", "owner")
                .containsEntry("image", TestEngine.IMAGE);
        assertThat(create.timeNanos()).isGreaterThan(0);
    }

    @Test
    void afterTheStreamBreaksItResumesFromItsCursorLosingNothingAndRepeatingNothing() throws Exception {
        SocketRelay relay = track(new SocketRelay(dir.resolve("engine.sock"),
                ((Endpoint.Unix) engine.endpoint()).socket()));
        relay.start();
        EngineClient client = track(EngineClient.connect(relay.endpoint()));
        Instant since = Instant.now();
        track(client.followContainerEvents(since, seen::add));

        String first = engine.runDetached(engine.name("before-break"), Map.of(), List.of(), "sleep", "600");
        awaitActions(first, List.of("create", "start"));

        relay.stop(); // the stream ends, and every reconnect is refused while the relay is down
        // what happens meanwhile reaches the engine directly: the follower must learn it from its cursor
        engine.docker("rm", "-f", first);
        String second = engine.runDetached(engine.name("during-break"), Map.of(), List.of(), "true");
        TestEngine.await(() -> engine.status(second).equals("exited"), Duration.ofSeconds(30), "`true` exited");
        relay.start();

        awaitActions(first, List.of("create", "start", "die", "destroy"));
        awaitActions(second, List.of("create", "start", "die"));
        engine.docker("rm", second);
        awaitActions(second, List.of("create", "start", "die", "destroy"));

        // The engine's own record of the same span, by `docker events`: each event once, in the engine's order.
        String until = Long.toString(Instant.now().plusSeconds(1).getEpochSecond());
        String truth = engine.docker("events", "--since", since.getEpochSecond() + "." + String.format("%09d", since.getNano()),
                "--until", until, "--filter", "type=container", "--filter", "label=" + engine.testLabel(),
                "--format", "{{.Actor.ID}} {{.Action}} {{.TimeNano}}");
        List<String> fromEngine = truth.lines().filter(l -> l.startsWith(first) || l.startsWith(second)).toList();
        List<String> delivered = seen.stream().filter(e -> e.containerId().equals(first) || e.containerId().equals(second))
                .map(e -> e.containerId() + " " + e.action() + " " + e.timeNanos()).toList();
        assertThat(delivered).as("every event once, as the engine recorded it").isEqualTo(fromEngine);
    }

    @Test
    void closingEndsTheStream() throws Exception {
        SocketRelay relay = track(new SocketRelay(dir.resolve("engine.sock"),
                ((Endpoint.Unix) engine.endpoint()).socket()));
        relay.start();
        EngineClient client = track(EngineClient.connect(relay.endpoint()));
        Closeable follower = client.followContainerEvents(Instant.now(), seen::add);
        String id = engine.runDetached(engine.name("closing"), Map.of(), List.of(), "sleep", "600");
        awaitActions(id, List.of("create", "start"));

        follower.close();

        TestEngine.await(() -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().equals("tether-engine-events") && t.isAlive()),
                Duration.ofSeconds(10), "the follower's thread ended");
        TestEngine.await(() -> relay.openConnections() == 0, Duration.ofSeconds(10), "the event connection closed");
        int before = seen.size();
        engine.docker("rm", "-f", id);
        assertThat(seen).as("nothing follows any more").hasSize(before);
    }

    private List<EngineEvent> ofContainer(String id) {
        return seen.stream().filter(e -> e.containerId().equals(id) && LIFECYCLE.contains(e.action())).toList();
    }

    private void awaitActions(String id, List<String> actions) {
        TestEngine.await(() -> ofContainer(id).stream().map(EngineEvent::action).toList().equals(actions)
                        || ofContainer(id).size() > actions.size(),
                Duration.ofSeconds(30), "events " + actions + " of " + id + " (seen " + ofContainer(id) + ")");
        assertThat(ofContainer(id)).extracting(EngineEvent::action).as("each once, in order").isEqualTo(actions);
    }

    private <T extends AutoCloseable> T track(T closeable) {
        toClose.add(closeable);
        return closeable;
    }
}
