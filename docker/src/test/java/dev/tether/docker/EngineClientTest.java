package dev.tether.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine client against the real engine, on containers of this test's own (labelled). */
@Timeout(120)
class EngineClientTest {

    private static TestEngine engine;
    private static EngineClient client;

    @BeforeAll
    static void connect() {
        engine = TestEngine.machine();
        engine.requireImage();
        client = EngineClient.connect(engine.endpoint());
    }

    @AfterAll
    static void cleanup() throws Exception {
        client.close();
        engine.close();
    }

    @Test
    void containerInfoReadsTheEnginesOwnInspectDocument() {
        String name = engine.name("info");
        Instant before = Instant.now().minusSeconds(2); // the engine's clock and ours, to the second
        String id = engine.runDetached(name, Map.of("dev.tether.tie", "owner", "x.empty", ""),
                List.of("-i", "--stop-timeout", "7", "--entrypoint", "sh"), "-c", "sleep 600");

        JsonNode inspect = client.inspectTree(id).orElseThrow();
        ContainerInfo info = ContainerInfo.from(inspect);

        assertThat(info.id()).isEqualTo(id);
        assertThat(info.shortId()).isEqualTo(id.substring(0, 12));
        assertThat(info.name()).isEqualTo(name);
        assertThat(info.image()).isEqualTo(TestEngine.IMAGE);
        assertThat(info.labels()).containsEntry("dev.tether.tie", "owner").containsEntry("x.empty", "")
                .containsEntry(TestEngine.TEST_LABEL, engine.testLabel().substring(TestEngine.TEST_LABEL.length() + 1));
        assertThat(info.state()).isEqualTo("running");
        assertThat(info.isRunning()).isTrue();
        assertThat(info.autoRemove()).isFalse();
        assertThat(info.stopTimeout()).contains(7);
        assertThat(info.stopGrace(Duration.ofSeconds(3))).as("its own StopTimeout wins").isEqualTo(Duration.ofSeconds(7));
        assertThat(info.created()).isBetween(before, Instant.now().plusSeconds(2));
        assertThat(info.stdinAttached()).as("docker run -d -i: stdin open, but nobody attached").isFalse();
        assertThat(info.command()).containsExactly("sh", "-c", "sleep 600");
        assertThat(client.inspect(name)).as("by name, the same facts").contains(info);
    }

    @Test
    void withoutItsOwnStopTimeoutTethersGraceApplies() {
        String id = engine.runDetached(engine.name("no-timeout"), Map.of(), List.of("--rm"), "sleep", "600");

        ContainerInfo info = client.inspect(id).orElseThrow();

        assertThat(info.stopTimeout()).isEmpty();
        assertThat(info.stopGrace(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
        assertThat(info.autoRemove()).isTrue();
        assertThat(info.command()).containsExactly("sleep", "600");
        assertThat(info.labels()).containsOnlyKeys(TestEngine.TEST_LABEL);
    }

    @Test
    void aStopTimeoutOfZeroGetsTethersGraceAsPodmansUnsetOneDoes() {
        String id = engine.runDetached(engine.name("zero-timeout"), Map.of(), List.of("--rm", "--stop-timeout", "0"),
                "sleep", "600");

        ContainerInfo info = client.inspect(id).orElseThrow();

        assertThat(info.stopTimeout()).contains(0);
        assertThat(info.stopGrace(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aContainerTheEngineDoesNotKnowIsEmptyNotAnError() {
        assertThat(client.inspect("tether-no-such-container-" + System.nanoTime())).isEmpty();
        assertThat(client.inspectTree("0123456789ab0123456789ab")).isEmpty();
    }

    @Test
    void stopAndRemoveSayHowTheyEndedWhateverTheContainerDidMeanwhile() {
        String id = engine.runDetached(engine.name("stop"), Map.of(), List.of(), "sleep", "600");

        long start = System.nanoTime();
        assertThat(client.stop(id, Duration.ofSeconds(1))).isEqualTo(EngineClient.Stopped.STOPPED);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // sleep as PID 1 ignores SIGTERM: the engine waits the grace, then kills
        assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(10));
        assertThat(engine.status(id)).isEqualTo("exited");
        assertThat(client.stop(id, Duration.ofSeconds(1))).isEqualTo(EngineClient.Stopped.WAS_NOT_RUNNING);

        assertThat(client.remove(id)).isEqualTo(EngineClient.Removed.REMOVED);
        assertThat(engine.exists(id)).isFalse();
        assertThat(client.remove(id)).isEqualTo(EngineClient.Removed.ALREADY_GONE);
        assertThat(client.stop(id, Duration.ofSeconds(1))).isEqualTo(EngineClient.Stopped.GONE);
    }

    @Test
    void removeStopsARunningContainerToo() {
        String id = engine.runDetached(engine.name("remove-running"), Map.of(), List.of(), "sleep", "600");

        assertThat(client.remove(id)).isEqualTo(EngineClient.Removed.REMOVED);
        assertThat(engine.exists(id)).isFalse();
    }

    @Test
    void containersAreFoundByTheirLabelsInAnyState() {
        String mark = "dev.tether.test.mark";
        String value = Long.toHexString(System.nanoTime());
        String running = engine.runDetached(engine.name("found-running"), Map.of(mark, value, "x.other", "1"),
                List.of(), "sleep", "600");
        String exited = engine.runDetached(engine.name("found-exited"), Map.of(mark, value), List.of(), "true");
        TestEngine.await(() -> engine.status(exited).equals("exited"), Duration.ofSeconds(30), "`true` exited");
        String unmarked = engine.runDetached(engine.name("unmarked"), Map.of(), List.of(), "sleep", "600");

        Map<String, Map<String, String>> labels = client.labelsOfContainersLabelled(mark + "=" + value);

        assertThat(labels).containsOnlyKeys(running, exited);
        assertThat(labels.get(running)).containsEntry(mark, value).containsEntry("x.other", "1");
        assertThat(client.containersLabelled(mark + "=" + value)).containsExactlyInAnyOrder(running, exited);
        assertThat(client.containersLabelled(List.of(mark + "=" + value, "x.other"))).containsExactly(running);
        assertThat(client.inspectRunning(List.of(mark + "=" + value))).extracting(j -> j.path("Id").asText())
                .containsExactly(running);
        assertThat(client.labelsOfContainersLabelled(engine.testLabel())).containsKeys(running, exited, unmarked);
    }

    @Test
    void anEngineThatIsNotThereIsReportedWithWhereAndWhyAndItsCause() {
        Endpoint nowhere = new Endpoint.Unix(Path.of("/tmp/tether-no-engine-" + System.nanoTime() + ".sock"));
        try (EngineClient absent = EngineClient.connect(nowhere)) {
            assertThatThrownBy(absent::version)
                    .isInstanceOf(EngineClient.EngineException.class)
                    .hasMessageContaining("GET /version at " + nowhere.uri())
                    .satisfies(e -> assertThat(EngineClient.unreachable(e)).as("unreachable, by its cause").isTrue());
            assertThatThrownBy(() -> absent.inspect("x"))
                    .satisfies(e -> assertThat(EngineClient.unreachable(e)).isTrue());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void versionIsTheEnginesAnswer() {
        JsonNode version = client.version();
        assertThat(version.path("ApiVersion").asText()).matches("\\d+\\.\\d+");
        assertThat(version.path("Os").asText()).isEqualTo("linux");
    }
}
