package dev.tether.reaper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.docker.EngineClient;
import dev.tether.docker.PrivateDockerd;
import dev.tether.docker.TestEngine;
import dev.tether.labeler.Instance;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import dev.tether.labeler.Tie;
import dev.tether.process.ProcessWatcher;
import dev.tether.process.Processes;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reaper's whole lifecycle against a real engine and real processes: containers labelled the way the labeler
 * labels them, tied to child processes of this test, which are then SIGKILLed. The engine is a private dockerd of
 * this test's own: a reaper judges every tied container on its engine, and on the machine's engine it would judge
 * (and reap) the containers of other tests and of the user's own tether.
 */
@Timeout(180)
class ReaperTest {

    private static final Duration GRACE = Duration.ofSeconds(1);
    /** On top of the grace: the notice, inspect, stop and remove, and our 20 ms polling, on a busy machine. */
    private static final Duration SLACK = Duration.ofSeconds(2);

    private static PrivateDockerd dockerd;
    private static TestEngine engine;
    private static EngineClient client;

    private final String self = Instance.of(Processes.self()).label();
    private final List<Process> children = new ArrayList<>();
    private final List<Reaped> reaped = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void privateEngine() {
        TestEngine machine = TestEngine.machine();
        machine.requireImage();
        dockerd = PrivateDockerd.start(Duration.ofSeconds(60));
        dockerd.loadImage(TestEngine.IMAGE, machine.endpoint().uri(), Duration.ofSeconds(120));
        engine = dockerd.cli();
        client = EngineClient.connect(dockerd.endpoint());
    }

    @AfterAll
    static void stopPrivateEngine() throws IOException {
        if (client != null) {
            client.close();
        }
        if (dockerd != null) {
            dockerd.close();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
        engine.close(); // containers before the processes they are tied to
        children.forEach(Process::destroyForcibly);
    }

    @Test
    void aContainerIsStoppedAndRemovedOnceTheChildItIsTiedToIsKilledAndNothingElseIsTouched() throws Exception {
        ProcessId owner = child();
        ProcessId otherTether = child();
        Reaper reaper = reaper();
        reaper.start(Duration.ofMinutes(10)); // the periodic sweep stays out of it: the death is noticed by the watch

        String tied = container("tied", labels(Tie.OWNER, owner, self));
        String ofAnotherTether = container("other-tether", labels(Tie.OWNER, owner, Instance.of(otherTether).label()));
        String untied = container("untied", labels(Tie.NONE, owner, self));
        String unlabelled = engine.runDetached(engine.name("unlabelled"), Map.of(), List.of(), "sleep", "600");
        Map<String, String> startedAt = startedAt(ofAnotherTether, untied, unlabelled);

        long killed = System.nanoTime();
        kill(owner);

        TestEngine.await(() -> !engine.exists(tied), GRACE.plus(SLACK).plusSeconds(15), "the tied container gone");
        Duration took = Duration.ofNanos(System.nanoTime() - killed);
        System.out.println("[reaper] SIGKILL of the owner -> container gone: " + took.toMillis() + " ms (grace "
                + GRACE.toMillis() + " ms)");
        assertThat(took).as("SIGKILL of the owner to gone, with a 1 s grace").isLessThanOrEqualTo(GRACE.plus(SLACK));
        TestEngine.await(() -> !reaped.isEmpty(), Duration.ofSeconds(5), "the reap reported");
        assertThat(reaped).singleElement().satisfies(r -> {
            assertThat(r.container().id()).isEqualTo(tied);
            assertThat(r.reason()).isEqualTo(Reason.OWNER_EXITED);
            assertThat(r.dead()).isEqualTo(owner);
            assertThat(r.grace()).isEqualTo(GRACE);
            assertThat(r.stopped()).isEqualTo(EngineClient.Stopped.STOPPED);
            assertThat(r.removed()).isEqualTo(EngineClient.Removed.REMOVED);
        });

        // A sweep of the same reaper, for good measure: it judges them all again from their labels.
        List<Reaper.Swept> swept = reaper.sweepNow(false);
        assertThat(swept).extracting(s -> s.container().id()).containsExactlyInAnyOrder(ofAnotherTether, untied);
        assertThat(swept).allSatisfy(s -> assertThat(s.verdict()).isInstanceOf(Verdict.Spare.class));
        assertThat(startedAt(ofAnotherTether, untied, unlabelled)).as("running, never restarted").isEqualTo(startedAt);
        assertThat(reaped).hasSize(1);
    }

    @Test
    void aContainersOwnPositiveStopTimeoutWinsOverTheGrace() throws Exception {
        ProcessId owner = child();
        Reaper reaper = reaper();
        reaper.start(Duration.ofMinutes(10));
        String tied = engine.runDetached(engine.name("stop-timeout"), labels(Tie.OWNER, owner, self),
                List.of("--stop-timeout", "2"), "sleep", "600");
        TestEngine.await(() -> engine.status(tied).equals("running"), Duration.ofSeconds(30), "running");

        kill(owner);

        TestEngine.await(() -> !reaped.isEmpty(), GRACE.plus(SLACK).plusSeconds(15), "the reap reported");
        assertThat(reaped.getFirst().grace()).as("its own StopTimeout 2, not tether's grace of 1 s").isEqualTo(Duration.ofSeconds(2));
        assertThat(engine.exists(tied)).isFalse();
    }

    @Test
    void aDryRunSweepSaysWhatIsDueAndChangesNothing() throws Exception {
        ProcessId owner = child();
        ProcessId living = child();
        String due = container("dead-owner", labels(Tie.OWNER, owner, "1-1"));
        String kept = container("living-owner", labels(Tie.OWNER, living, "1-1"));
        kill(owner);
        Map<String, String> before = startedAt(due, kept);
        Reaper reaper = reaper(); // not started: a one-off sweep, as `tether sweep` runs it
        List<Reaper.Swept> dry = reaper.sweepNow(true);

        assertThat(verdictOf(dry, due)).isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, owner));
        assertThat(verdictOf(dry, kept)).isInstanceOf(Verdict.Watch.class);
        assertThat(startedAt(due, kept)).as("after --dry-run, both still run").isEqualTo(before);
        assertThat(reaped).isEmpty();

        List<Reaper.Swept> real = reaper.sweepNow(false);

        assertThat(verdictOf(real, due)).isInstanceOf(Verdict.Reap.class);
        assertThat(engine.exists(due)).as("gone once the sweep returns").isFalse();
        assertThat(startedAt(kept)).isEqualTo(Map.of(kept, before.get(kept)));
        assertThat(reaped).extracting(r -> r.container().id()).containsExactly(due);
    }

    // ---------------------------------------------------------------- helpers

    private Reaper reaper() throws IOException {
        ProcessWatcher watcher = ProcessWatcher.create();
        Reaper reaper = new Reaper(client, watcher, self, GRACE, new ReapListener() {
            @Override
            public void reaped(Reaped r) {
                reaped.add(r);
            }
        });
        toClose.add(watcher);
        toClose.add(reaper); // closed before its watcher
        return reaper;
    }

    /** A real child process: {@code sleep 600}. */
    private ProcessId child() throws IOException {
        Process p = new ProcessBuilder("sleep", "600").start();
        children.add(p);
        ProcessId id = Processes.identify(p.pid());
        assertThat(id.isKnown()).as("identify the child %d", p.pid()).isTrue();
        return id;
    }

    private void kill(ProcessId process) throws InterruptedException {
        Process p = children.stream().filter(c -> c.pid() == process.pid()).findFirst().orElseThrow();
        p.destroyForcibly(); // SIGKILL
        p.waitFor();
    }

    /** Tether's labels as the labeler writes them for a container this JVM creates through tether. */
    private static Map<String, String> labels(Tie tie, ProcessId owner, String instance) {
        ProcessId host = Processes.self();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(TetherLabels.OWNER_PID, Long.toString(owner.pid()));
        labels.put(TetherLabels.OWNER_START, Long.toString(owner.startTicks()));
        labels.put(TetherLabels.OWNER_EXE, owner.exe());
        labels.put(TetherLabels.HOST_PID, Long.toString(host.pid()));
        labels.put(TetherLabels.HOST_START, Long.toString(host.startTicks()));
        labels.put(TetherLabels.HOST_EXE, host.exe());
        labels.put(TetherLabels.TIE, tie.label());
        labels.put(TetherLabels.INSTANCE, instance);
        labels.put(TetherLabels.BOOT, Processes.bootId());
        labels.put(TetherLabels.PID_NAMESPACE, Processes.pidNamespace());
        return labels;
    }

    /** A running {@code sleep 600} (PID 1 ignores SIGTERM: a stop takes the whole grace) with {@code labels}. */
    private static String container(String purpose, Map<String, String> labels) {
        String id = engine.runDetached(engine.name(purpose), labels, List.of(), "sleep", "600");
        TestEngine.await(() -> engine.status(id).equals("running"), Duration.ofSeconds(30), purpose + " running");
        return id;
    }

    /** Each container's start time, or the failure saying it is not running. */
    private static Map<String, String> startedAt(String... ids) {
        Map<String, String> started = new LinkedHashMap<>();
        for (String id : ids) {
            String state = engine.docker("container", "inspect", "--format", "{{.State.Status}} {{.State.StartedAt}}", id);
            assertThat(state).as("container %s", id).startsWith("running ");
            started.put(id, state);
        }
        return started;
    }

    private static Verdict verdictOf(List<Reaper.Swept> report, String id) {
        return report.stream().filter(s -> s.container().id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("the sweep did not judge " + id + ": " + report)).verdict();
    }
}
