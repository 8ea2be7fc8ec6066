package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.labeler.TetherLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.process.Processes;
import dev.tether.labeler.Instance;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;

/**
 * Sweeps: {@code tether sweep} as a one-off command, the sweeps of a running {@code tether up}, and the catch-up
 * sweep of a tether restarted after a crash. Containers with hand-written tether labels are created directly on the
 * engine (through tether, its own labels would win); they carry the test label like everything else here.
 *
 * <p>The cases that need a container to be reaped by the tether or sweep under test, and by nothing else, run on a
 * private dockerd of this class's own: on the machine's engine any other {@code tether up} (the user's own, after
 * {@code tether install}) would reap them first.
 */
@Timeout(120)
class ReapSweepIT {

    private static Path dir;
    /** Started by the first case that needs it; see {@link #privateEngine()}. */
    private static AuditItDockerd privateEngine;

    private final List<ReapKit.Tether> tethers = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final List<Cli.Running> clis = new ArrayList<>();
    private final List<String> containers = new ArrayList<>();
    private final List<String> privateContainers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void image() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "reap-w");
    }

    @AfterEach
    void endTheTestsProcesses() throws Exception {
        for (ReapKit.Tether t : tethers) {
            t.close();
            System.out.println("[tether log]\n" + t.log());
        }
        // containers before the processes they are tied to: a living owner's container must not be reaped by its end
        containers.forEach(Engine::remove);
        privateContainers.forEach(id -> removeOn(privateEngine.socket(), id));
        processes.forEach(p -> p.toHandle().destroyForcibly());
        clis.forEach(Cli.Running::close);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @AfterAll
    static void cleanup() {
        Engine.cleanup();
        if (privateEngine != null) {
            privateEngine.close();
        }
        ReapKit.deleteTree(dir);
    }

    // ---------------------------------------------------------------- (3) pid reuse

    @Test
    void aLiveProcessWithTheOwnersPidButAnotherStartTimeIsNotTheOwner() throws IOException {
        AuditItDockerd engine = privateEngine();
        Process stranger = sleeper();
        long pid = stranger.pid();
        long start = ReapKit.startTicks(pid);
        String reused = createTied(engine.socket(), Engine.name("pid-reused"), Map.of(TetherLabels.TIE, "owner",
                TetherLabels.OWNER_PID, Long.toString(pid), TetherLabels.OWNER_START, Long.toString(start + 1),
                TetherLabels.OWNER_EXE, "/usr/bin/sleep"));
        String same = createTied(engine.socket(), Engine.name("pid-same"), Map.of(TetherLabels.TIE, "owner",
                TetherLabels.OWNER_PID, Long.toString(pid), TetherLabels.OWNER_START, Long.toString(start),
                TetherLabels.OWNER_EXE, "/usr/bin/sleep"));
        JsonNode sameBefore = inspectOn(engine.socket(), same);

        long swept = System.nanoTime();
        Cli.Result sweep = ReapKit.sweepOn(engine.uri(), "--grace", "1s");

        assertThat(sweep.exitCode()).as(sweep.toString()).isZero();
        assertThat(ReapKit.sweepLine(sweep, reused)).startsWith("reaped ").contains("tie=owner): its owner exited (pid " + pid + ")");
        assertThat(ReapKit.sweepLine(sweep, same)).startsWith("kept ").contains("pid " + pid + " is alive");
        ReapKit.awaitGoneWithin(engine.socket(), reused, swept, Duration.ofSeconds(1).plus(SLACK).plus(jvmStart()),
                "(3) pid reused (start differs): `tether sweep --grace 1s`, from its launch");
        ReapKit.assertUntouched(engine.socket(), same, sameBefore, "(3) the same pid and start time");
        assertThat(stranger.isAlive()).isTrue();
    }

    // ---------------------------------------------------------------- (4) what is never touched

    @Test
    void detachedRunsAndContainersWithoutTethersLabelsAreNeverTouched() throws Exception {
        Cli.requireInstalled(Cli.NEW);
        Path engineSpy = dir.resolve("spy.sock");
        ReapSpyUpstream spy = new ReapSpyUpstream(engineSpy, Engine.socket(), "/containers/json?");
        closeables.add(spy);
        ReapKit.Tether tether = up(dir.resolve("n.sock"), "--sweep-interval", "1s", "--upstream", "unix://" + engineSpy);

        String detached = Engine.name("detached");
        Cli.Result run = new Cli(Cli.NEW, tether.socket).run("run", "-d", "--name", detached, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "sleep", "600");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        String id = run.out().strip();
        containers.add(id);
        JsonNode before = Engine.inspect(id);
        assertThat(before.at("/Config/Labels").path(TetherLabels.TIE).asText()).isEqualTo("none");
        String owner = before.at("/Config/Labels").path(TetherLabels.OWNER_PID).asText();
        assertThat(ProcessHandle.of(Long.parseLong(owner))).as("the CLI that ran it has exited").isEmpty();

        // on the engine's own socket: no tether labels at all, and one with a lone tie label a user wrote by hand
        String plain = Engine.runDetached(Engine.name("unlabelled"), "sleep", "600");
        containers.add(plain);
        ObjectNode handSpec = Engine.containerSpec("sleep", "600");
        ((ObjectNode) handSpec.get("Labels")).put(TetherLabels.TIE, "owner");
        String hand = Engine.create(Engine.name("hand-tie"), handSpec);
        containers.add(hand);
        Engine.start(hand);
        JsonNode plainBefore = Engine.inspect(plain);
        JsonNode handBefore = Engine.inspect(hand);

        int sweeps = spy.hits();
        spy.awaitHits(sweeps + 2, Duration.ofSeconds(15)); // two full sweeps of tether up, seen on the wire
        ReapKit.assertUntouched(id, before, "(4) `docker run -d` after two sweeps of tether up");
        ReapKit.assertUntouched(plain, plainBefore, "(4) unlabelled, after two sweeps of tether up");
        ReapKit.assertUntouched(hand, handBefore, "(4) lone hand-written tie label, after two sweeps of tether up");
        System.out.println("[reap-timing] (4) " + (spy.hits() - sweeps) + " sweeps of tether up (--sweep-interval 1s): "
                + "detached, unlabelled and hand-labelled containers all still running");

        tether.sigkill(); // from here on its containers are any sweep's: tie=none must still keep this one
        Cli.Result sweep = ReapKit.sweep();
        assertThat(sweep.exitCode()).as(sweep.toString()).isZero();
        assertThat(ReapKit.sweepLine(sweep, id)).startsWith("kept ").contains("tie=none");
        assertThat(sweep.out()).doesNotContain(plain.substring(0, 12)).doesNotContain(hand.substring(0, 12));
        ReapKit.assertUntouched(id, before, "(4) `docker run -d` after `tether sweep`");
        ReapKit.assertUntouched(plain, plainBefore, "(4) unlabelled, after `tether sweep`");
        ReapKit.assertUntouched(hand, handBefore, "(4) lone hand-written tie label, after `tether sweep`");
    }

    @Test
    void tetherSweepLeavesTheContainersOfAnotherRunningTetherAlone() throws IOException {
        Process otherTether = sleeper(); // stands for a tether that runs: only its pid and start time are read
        Process owner = sleeper();
        String instance = otherTether.pid() + "-" + ReapKit.startTicks(otherTether.pid());
        String id = createTied(Engine.name("other-tether"), Map.of(TetherLabels.TIE, "owner",
                TetherLabels.OWNER_PID, Long.toString(owner.pid()),
                TetherLabels.OWNER_START, Long.toString(ReapKit.startTicks(owner.pid())),
                TetherLabels.INSTANCE, instance));
        JsonNode before = Engine.inspect(id);

        Cli.Result sweep = ReapKit.sweep();

        assertThat(ReapKit.sweepLine(sweep, id)).startsWith("kept ").contains("tied by another running tether (" + instance + ")");
        ReapKit.assertUntouched(id, before, "another running tether's container");
    }

    // ---------------------------------------------------------------- tether ps

    @Test
    void tetherPsShowsWhetherWhatEachContainerWaitsOnLivesByTheReapersRule() throws IOException {
        Process otherTether = sleeper(); // a live tether's containers are left to it by every reaper, so they stay
        String instance = new Instance(otherTether.pid(), ReapKit.startTicks(otherTether.pid())).label();
        Process owner = sleeper();
        Process gone = sleeper();
        long goneStart = ReapKit.startTicks(gone.pid());
        ReapKit.sigkill(gone.toHandle());
        String living = createTied(Engine.name("ps-living"), Map.of(TetherLabels.TIE, "owner",
                TetherLabels.OWNER_PID, Long.toString(owner.pid()),
                TetherLabels.OWNER_START, Long.toString(ReapKit.startTicks(owner.pid())), TetherLabels.INSTANCE, instance));
        String dead = createTied(Engine.name("ps-dead"), Map.of(TetherLabels.TIE, "owner",
                TetherLabels.OWNER_PID, Long.toString(gone.pid()), TetherLabels.OWNER_START, Long.toString(goneStart),
                TetherLabels.INSTANCE, instance));
        String untied = createTied(Engine.name("ps-untied"), Map.of(TetherLabels.TIE, "none",
                TetherLabels.OWNER_PID, Long.toString(gone.pid()), TetherLabels.OWNER_START, Long.toString(goneStart),
                TetherLabels.INSTANCE, instance));

        List<String> command = new ArrayList<>(ReapKit.tetherCommand("ps", "--socket", dir.resolve("none.sock").toString(),
                "--upstream", Engine.endpoint().uri()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        Cli.Result ps;
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            ps = running.await(Duration.ofSeconds(60));
        }
        System.out.println("[tether ps]\n" + ps.out());

        assertThat(ps.exitCode()).as(ps.toString()).isZero();
        assertThat(psColumn(ps, living, "ALIVE")).isEqualTo("yes");
        assertThat(psColumn(ps, dead, "ALIVE")).as("its owner was SIGKILLed").isEqualTo("no");
        assertThat(psColumn(ps, untied, "ALIVE")).as("tie=none waits on nothing").isEqualTo("-");
        assertThat(psColumn(ps, dead, "TIE")).isEqualTo("owner");
        assertThat(psColumn(ps, living, "ATTACHED")).as("no tether answers on --socket").isEqualTo("?");
    }

    /** The value in {@code column} of the row {@code tether ps} printed for {@code id}. */
    private static String psColumn(Cli.Result ps, String id, String column) {
        String header = ps.out().lines().findFirst().orElseThrow();
        int at = header.indexOf(column);
        assertThat(at).as("column %s in %s", column, header).isNotNegative();
        String row = ps.out().lines().filter(l -> l.startsWith(id.substring(0, 12))).findFirst()
                .orElseThrow(() -> new AssertionError("tether ps printed no row for " + id + ":\n" + ps.out()));
        String rest = row.substring(Math.min(at, row.length()));
        int end = rest.indexOf("  ");
        return (end < 0 ? rest : rest.substring(0, end)).strip();
    }

    // ---------------------------------------------------------------- (5) a crash and a restart

    @Test
    void aRestartedTetherReapsWhatDiedWhileNoneRan() throws Exception {
        AuditItDockerd engine = privateEngine();
        Cli.requireInstalled(Cli.NEW);
        Path socket = dir.resolve("r.sock");
        ReapKit.Tether first = up(socket, "--upstream", engine.uri());

        String name = Engine.name("session-orphaned");
        Cli.Running cli = new Cli(Cli.NEW, socket).start("run", "-i", "--rm", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "sh", "-c", ReapKit.STUBBORN_SERVER);
        clis.add(cli);
        cli.awaitStdout("ready", Duration.ofSeconds(60));
        assertThat(inspectOn(engine.socket(), name).at("/Config/Labels").path(TetherLabels.INSTANCE).asText())
                .isEqualTo(first.instance());
        // a living client's container: this JVM creates it through tether (tie=owner, owner = this JVM)
        String living = createThrough(engine.socket(), socket, Engine.name("living-owner"));
        JsonNode livingBefore = inspectOn(engine.socket(), living);

        first.sigkill();
        if (cli.isAlive()) {
            ReapKit.sigkill(cli.process().toHandle());
        }
        assertThat(Engine.running(inspectOn(engine.socket(), name))).as("nothing reaps while no tether runs").isTrue();
        assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).as("the crash left its socket file").isTrue();

        ReapKit.Tether second = up(socket, "--upstream", engine.uri());
        Duration startUp = Duration.ofNanos(second.readyNanos() - second.launchedNanos);
        System.out.println("[reap-timing] (5) restarted tether up in " + startUp.toMillis() + " ms (launch → export line)");

        ReapKit.awaitGoneWithin(engine.socket(), name, second.readyNanos(), GRACE.plus(SLACK),
                "(5) tether SIGKILL, CLI SIGKILL, tether restarted: from its export line");
        assertThat(second.awaitReaped(name)).contains("its owner exited (pid " + cli.pid());
        ReapKit.assertUntouched(engine.socket(), living, livingBefore,
                "(5) a living client's container, adopted by the new tether");
        assertThat(new Cli(Cli.NEW, socket).run("version").exitCode()).as("the new tether serves on the old path").isZero();
    }

    // ---------------------------------------------------------------- (6) dry run

    @Test
    void aDryRunSaysWhatItWouldReapAndChangesNothing() throws IOException {
        AuditItDockerd engine = privateEngine();
        Process gone = sleeper();
        long pid = gone.pid();
        long start = ReapKit.startTicks(pid);
        ReapKit.sigkill(gone.toHandle());
        String id = createTied(engine.socket(), Engine.name("dead-owner"), Map.of(TetherLabels.TIE, "owner",
                TetherLabels.OWNER_PID, Long.toString(pid), TetherLabels.OWNER_START, Long.toString(start),
                TetherLabels.OWNER_EXE, "/usr/bin/sleep"));
        JsonNode before = inspectOn(engine.socket(), id);

        Cli.Result dry = ReapKit.sweepOn(engine.uri(), "--dry-run");

        assertThat(dry.exitCode()).as(dry.toString()).isZero();
        assertThat(ReapKit.sweepLine(dry, id)).startsWith("would reap ").contains("its owner exited (pid " + pid + ")");
        assertThat(dry.out().lines().reduce((a, b) -> b).orElse("")).matches("would reap \\d+ of \\d+ tied containers");
        ReapKit.assertUntouched(engine.socket(), id, before, "(6) after --dry-run");

        long swept = System.nanoTime();
        Cli.Result sweep = ReapKit.sweepOn(engine.uri(), "--grace", "1s");
        Duration took = Duration.ofNanos(System.nanoTime() - swept);

        assertThat(ReapKit.sweepLine(sweep, id)).startsWith("reaped ").contains("its owner exited (pid " + pid + ")");
        assertThat(sweep.out().lines().reduce((a, b) -> b).orElse("")).matches("reaped \\d+ of \\d+ tied containers");
        assertThat(ReapKit.find(engine.socket(), id)).as("gone when `tether sweep` returns").isEmpty();
        ReapKit.report("(6) `tether sweep --grace 1s` of a dead owner's container: launch → exit, gone", took,
                Duration.ofSeconds(1).plus(SLACK).plus(jvmStart()));
        assertThat(took).isLessThanOrEqualTo(Duration.ofSeconds(1).plus(SLACK).plus(jvmStart()));
    }

    // ---------------------------------------------------------------- a main-code bug

    /**
     * A container that another running tether tied to an owner that has died (that tether is reaping it, or cannot):
     * tether up spares it, watches its dead owner, is told at once that the owner is dead, spares it again, watches
     * again... a busy loop of inspects for as long as the other tether lives.
     */
    @Test
    void aForeignTethersContainerWithADeadOwnerIsNotInspectedOverAndOver() throws Exception {
        Process otherTether = sleeper();
        Process gone = sleeper();
        long start = ReapKit.startTicks(gone.pid());
        ReapKit.sigkill(gone.toHandle());
        String id = createTied(Engine.name("foreign-dead-owner"), Map.of(TetherLabels.TIE, "owner",
                TetherLabels.OWNER_PID, Long.toString(gone.pid()), TetherLabels.OWNER_START, Long.toString(start),
                TetherLabels.INSTANCE, new Instance(otherTether.pid(), ReapKit.startTicks(otherTether.pid())).label()));
        Engine.awaitContainer(id, Engine::running, "running", Duration.ofSeconds(10));
        // Every inspection of that container on the wire between tether and the engine is counted.
        Path engineSpy = dir.resolve("i.sock");
        ReapSpyUpstream spy = new ReapSpyUpstream(engineSpy, Engine.socket(), "/containers/" + id + "/json");
        closeables.add(spy);
        up(dir.resolve("c.sock"), "--upstream", "unix://" + engineSpy);

        spy.awaitHits(1, Duration.ofSeconds(30)); // the start-up sweep judged it once
        int judged = spy.hits();
        ReapKit.pause(2000); // the window: a busy loop inspects it hundreds of times in it
        int again = spy.hits() - judged;

        System.out.println("[reap-loop] inspections in 2 s after the sweep: " + again);
        assertThat(again).as("inspections of a container left to another live tether, in the 2 s after a sweep")
                .isZero();
        assertThat(Engine.running(Engine.inspect(id))).as("left running for the other tether").isTrue();
    }

    // ---------------------------------------------------------------- helpers

    private ReapKit.Tether up(Path socket, String... args) throws IOException {
        ReapKit.Tether t = ReapKit.Tether.up(socket, args);
        tethers.add(t);
        return t;
    }

    private Process sleeper() throws IOException {
        Process p = new ProcessBuilder("sleep", "600").start();
        processes.add(p);
        return p;
    }

    /**
     * Creates and starts, directly on the engine, a container with tether's labels as a tether would write them:
     * by default a dead tether's ({@code instance} 1-1: pid 1 never has start time 1) on this boot, with this JVM as
     * host. {@code labels} adds or overrides.
     */
    private String createTied(String name, Map<String, String> labels) {
        return createTied(Engine.socket(), name, labels);
    }

    /** {@link #createTied(String, Map)} on the engine at {@code engine}. */
    private String createTied(Path engine, String name, Map<String, String> labels) {
        ObjectNode spec = Engine.containerSpec("sleep", "600");
        ObjectNode l = (ObjectNode) spec.get("Labels");
        long self = ProcessHandle.current().pid();
        l.put(TetherLabels.HOST_PID, Long.toString(self));
        l.put(TetherLabels.HOST_START, Long.toString(ReapKit.startTicks(self)));
        l.put(TetherLabels.HOST_EXE, ProcessHandle.current().info().command().orElse(""));
        l.put(TetherLabels.INSTANCE, "1-1");
        l.put(TetherLabels.BOOT, ReapKit.bootId());
        l.put(TetherLabels.PID_NAMESPACE, dev.tether.process.Processes.pidNamespace());
        labels.forEach(l::put);
        RawHttp.Response created;
        try (RawHttp http = RawHttp.connect(engine)) {
            created = http.exchange(RawHttp.request("POST", "/containers/create?name=" + Engine.encode(name))
                    .json(spec.toString()));
        }
        assertThat(created.status()).as("create %s on %s: %s", name, engine, created).isEqualTo(201);
        String id = created.json().get("Id").asText();
        (engine.equals(Engine.socket()) ? containers : privateContainers).add(id);
        try (RawHttp http = RawHttp.connect(engine)) {
            assertThat(http.exchange(RawHttp.request("POST", "/containers/" + id + "/start")).status()).isEqualTo(204);
        }
        return id;
    }

    /**
     * Creates and starts a container through tether on {@code socket} (relaying to {@code engine}), from this JVM:
     * tie=owner, owner = this JVM.
     */
    private String createThrough(Path engine, Path socket, String name) {
        RawHttp.Response created;
        try (RawHttp http = RawHttp.connect(socket)) {
            created = http.exchange(RawHttp.request("POST", "/containers/create?name=" + Engine.encode(name))
                    .json(Engine.containerSpec("sleep", "600").toString()));
        }
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("Id").asText();
        (engine.equals(Engine.socket()) ? containers : privateContainers).add(id);
        try (RawHttp http = RawHttp.connect(socket)) {
            assertThat(http.exchange(RawHttp.request("POST", "/containers/" + id + "/start")).status()).isEqualTo(204);
        }
        JsonNode labels = inspectOn(engine, id).at("/Config/Labels");
        assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("owner");
        assertThat(labels.path(TetherLabels.OWNER_PID).asText()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
        return id;
    }

    /**
     * The private engine with the test image, for a case whose containers must be reaped by the tether or sweep under
     * test and nothing else: on the machine's engine another {@code tether up} (a user's own) would reap them first.
     * No tether but the test's reaches it: its socket is in a fresh directory only root may enter.
     */
    private static synchronized AuditItDockerd privateEngine() {
        assertThat(ReapKit.startTicks(1)).as("pid 1 does not have start time 1: instance 1-1 is a dead tether").isNotEqualTo(1);
        if (privateEngine == null) {
            AuditItDockerd engine = AuditItDockerd.start(Duration.ofSeconds(60));
            try {
                engine.loadImage(Engine.TEST_IMAGE, Engine.endpoint().uri(), Duration.ofSeconds(120));
            } catch (RuntimeException | Error e) {
                engine.close();
                throw e;
            }
            privateEngine = engine;
        }
        return privateEngine;
    }

    private static JsonNode inspectOn(Path engine, String idOrName) {
        return ReapKit.find(engine, idOrName).orElseThrow(() -> new AssertionError(engine + " has no container " + idOrName));
    }

    private static void removeOn(Path engine, String id) {
        try (RawHttp http = RawHttp.connect(engine)) {
            http.exchange(RawHttp.request("DELETE", "/containers/" + id + "?force=1&v=1"));
        }
    }

    /** What starting a JVM for `tether sweep` may take, on top of the sweep itself. */
    private static Duration jvmStart() {
        return Duration.ofSeconds(3);
    }

}
