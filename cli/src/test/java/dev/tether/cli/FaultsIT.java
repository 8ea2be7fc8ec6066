package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;

/**
 * Faults around tether: its engine restarting under open sessions, tether itself SIGKILLed and started again, and
 * tether's own SIGTERM with a session open. Each case runs a real {@code tether up} process on a private dockerd of
 * its own ({@link AuditItDockerd}), so that restarting the engine stops nothing of anyone else's, and no other tether
 * on the machine's engine can reap what these cases need to see survive.
 */
@Timeout(300)
class FaultsIT {

    private static final Duration JOURNAL_WAIT = Duration.ofSeconds(30);
    /** A stdio server: answers every line, ignores SIGTERM (PID 1), ends with its stdin. */
    private static final String ECHO_SERVER = "echo ready; while read -r l; do echo \"got $l\"; done";
    /** Reap-record events: none may name a container that tether had no reason to reap. */
    private static final Set<String> REAPER_RECORDS = Set.of("owner-exit", "host-exit", "session-ended", "reap");

    private Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<ReapKit.Tether> tethers = new ArrayList<>();

    @BeforeAll
    static void image() {
        Engine.ensureImage();
        Cli.requireInstalled(Cli.NEW);
    }

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "faults");
    }

    @AfterEach
    void tearDown(TestInfo test) throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close(); // clients first, then tethers, the engine last (it was opened first)
        }
        for (ReapKit.Tether t : tethers) {
            System.out.println("[tether log, " + test.getDisplayName() + "]\n" + t.log());
        }
        ReapKit.deleteTree(dir);
    }

    // ---------------------------------------------------------------- (1) the engine restarts under open sessions

    /**
     * With and without {@code --live-restore}: every client's connection through tether ends (none hangs), a request
     * while the engine is down gets a JSON 502, tether keeps running and the next requests work, the event follower
     * resumes, and no container is reaped because its engine connection dropped. The {@code docker run -i} CLI exits
     * when its stream breaks: its container is then reaped for its owner's exit, which is the ordinary rule.
     */
    @ParameterizedTest(name = "live-restore {0}")
    @ValueSource(booleans = {false, true})
    void anEngineRestartEndsEveryStreamCleanlyAndReapsNothingForIt(boolean liveRestore) throws Exception {
        AuditItDockerd engine = privateEngine(liveRestore ? List.of("--live-restore") : List.of());
        Path journal = dir.resolve("audit.jsonl");
        // no periodic sweep within the test's time: whatever is reaped is reaped by the reaction to the restart
        ReapKit.Tether tether = up(engine, journal, "--sweep-interval", "1h");
        Cli docker = new Cli(Cli.NEW, tether.socket);

        String sessionName = Engine.name("fault-session");
        Cli.Running session = track(docker.start("run", "-i", "--rm", "--name", sessionName, "--label",
                Engine.labelArg(), "--network", "none", "--stop-timeout", "2", Engine.TEST_IMAGE, "sh", "-c",
                ECHO_SERVER));
        session.awaitStdout("ready", Duration.ofSeconds(60));
        session.write("before\n");
        session.awaitStdout("got before", Duration.ofSeconds(30));
        String sessionId = inspectOn(engine, sessionName).path("Id").asText();

        Owner owner = owner(engine, tether, "fault-owned");
        JsonNode ownedBefore = inspectOn(engine, owner.containerId());
        assertThat(ownedBefore.at("/Config/Labels/dev.tether.tie").asText()).isEqualTo("owner");
        Owner dying = owner(engine, tether, "fault-owner-dies-meanwhile");

        RawHttp events = track(RawHttp.connect(tether.socket)).timeout(Duration.ofSeconds(60));
        events.write(RawHttp.request("GET", "/events").bytes());
        assertThat(events.readHead().status()).as("GET /events through tether").isEqualTo(200);
        RawHttp idle = track(RawHttp.connect(tether.socket)).timeout(Duration.ofSeconds(60));
        assertThat(idle.exchange(RawHttp.request("GET", "/_ping")).status()).isEqualTo(200);

        AuditItJournal.awaitStory(journal, sessionId, JOURNAL_WAIT, "create", "attach", "start");
        AuditItJournal.awaitStory(journal, owner.containerId(), JOURNAL_WAIT, "create", "start");

        long stopBegan = System.nanoTime();
        engine.stop(Duration.ofSeconds(60));
        System.out.printf("[faults] live-restore %s: engine gone %d ms after SIGTERM%n", liveRestore,
                (System.nanoTime() - stopBegan) / 1_000_000);

        // every connection through tether ends: no client is left hanging on a dead engine
        assertThat(events.awaitEof()).as("the events stream ends").isTrue();
        assertThat(idle.awaitEof()).as("the idle keep-alive connection ends").isTrue();
        Cli.Result cli = session.await(Duration.ofSeconds(60));
        System.out.printf("[faults] live-restore %s: the session's CLI exited %d %d ms after the stop began;"
                + " stderr: %s%n", liveRestore, cli.exitCode(), (System.nanoTime() - stopBegan) / 1_000_000,
                cli.stderr().strip());
        assertThat(cli.exitCode()).as("the CLI whose stream broke fails: %s", cli.describe()).isNotZero();

        // an owner dies while the engine is down: its death cannot be acted on yet, and must not be forgotten
        ReapKit.sigkill(dying.process().process().toHandle());

        // tether runs on, and says plainly that the engine is not there
        assertThat(tether.process.isAlive()).as("tether outlives its engine's stop").isTrue();
        RawHttp.Response down;
        try (RawHttp http = RawHttp.connect(tether.socket)) {
            down = http.timeout(Duration.ofSeconds(30)).exchange(RawHttp.request("GET", "/_ping"));
        }
        assertThat(down.status()).as(down.toString()).isEqualTo(502);
        assertThat(down.json().path("message").asText()).startsWith("tether: cannot reach the Docker engine at");

        engine.launch();
        engine.awaitAnswers(Duration.ofSeconds(60));
        long back = System.nanoTime();
        System.out.printf("[faults] live-restore %s: the engine answers again %d ms after the stop began%n",
                liveRestore, (back - stopBegan) / 1_000_000);

        // the owner that died meanwhile: its container is reaped as soon as the engine answers, not at a sweep
        awaitGoneOn(engine, dying.containerId(), Duration.ofSeconds(15), "the container of the owner that died"
                + " while the engine was down");
        System.out.printf("[faults] live-restore %s: owner dead while the engine was down → its container gone %d ms"
                + " after the engine answered%n", liveRestore, (System.nanoTime() - back) / 1_000_000);
        List<JsonNode> dyingStory = AuditItJournal.awaitStory(journal, dying.containerId(), JOURNAL_WAIT,
                "owner-exit", "reap");
        assertThat(dyingStory.stream().filter(r -> r.path("event").asText().equals("reap")).toList())
                .singleElement().satisfies(r -> assertThat(r.path("reason").asText()).isEqualTo("owner-exit"));
        assertThat(dyingStory.stream().filter(r -> r.path("event").asText().equals("owner-exit")).toList())
                .singleElement().satisfies(r -> assertThat(r.path("pid").asLong()).isEqualTo(dying.process().pid()));

        // the next requests work, on new connections and through the docker CLI
        try (RawHttp http = RawHttp.connect(tether.socket)) {
            assertThat(http.exchange(RawHttp.request("GET", "/_ping")).status()).isEqualTo(200);
        }
        Cli.Result ps = docker.run("ps", "-a", "--no-trunc", "--format", "{{.ID}}");
        assertThat(ps.exitCode()).as(ps.toString()).isZero();
        assertThat(ps.out()).contains(owner.containerId());

        // the owned container: its owner lives, so nothing of tether's touched it
        JsonNode owned = inspectOn(engine, owner.containerId());
        if (liveRestore) {
            assertThat(Engine.running(owned)).as("live-restore kept it running: %s", owned.path("State")).isTrue();
            assertThat(owned.at("/State/StartedAt").asText()).as("not restarted")
                    .isEqualTo(ownedBefore.at("/State/StartedAt").asText());
        } else {
            // the engine's own shutdown stopped it (SIGKILL after its 2 s stop timeout); it is still there
            assertThat(Engine.running(owned)).as("stopped by the engine's shutdown: %s", owned.path("State"))
                    .isFalse();
        }

        // The session: without live-restore the engine's shutdown stopped it (its --rm took it); with
        // live-restore the engine ends it as it restores (its stdin pipe went with the old dockerd). Either way the
        // CLI is dead: should the engine leave the container, it is reaped for that, never for its stream's end.
        if (findOn(engine, sessionId).isPresent()) {
            awaitGoneOn(engine, sessionId, Duration.ofSeconds(30), "the session container, its CLI dead");
            AuditItJournal.awaitStory(journal, sessionId, JOURNAL_WAIT, "owner-exit", "reap");
        }
        List<JsonNode> sessionStory = AuditItJournal.awaitStory(journal, sessionId, JOURNAL_WAIT, "detach", "die",
                "destroy");
        System.out.printf("[faults] live-restore %s: the session container's story:%n%s", liveRestore,
                AuditItJournal.describe(sessionStory));
        assertThat(sessionStory.stream().filter(AuditItJournal.event("detach", sessionId)).toList())
                .as("the session's stream: ended by the engine").singleElement()
                .satisfies(d -> assertThat(d.path("by").asText()).isEqualTo("engine"));
        assertThat(events(sessionStory)).as("never reaped because its stream ended").doesNotContain("session-ended");
        sessionStory.stream().filter(r -> r.path("event").asText().equals("reap"))
                .forEach(r -> assertThat(r.path("reason").asText()).isEqualTo("owner-exit"));

        // the event follower resumed: what the engine does now is journaled
        assertThat(owner.process().isAlive()).isTrue();
        assertThat(events(AuditItJournal.story(journal, owner.containerId()))).as("nothing reaped the owned one")
                .doesNotContainAnyElementsOf(REAPER_RECORDS);
        long ownerDeath = System.nanoTime();
        ReapKit.sigkill(owner.process().process().toHandle());
        awaitGoneOn(engine, owner.containerId(), Duration.ofSeconds(30), "the owned container, its owner dead");
        System.out.printf("[faults] live-restore %s: owner SIGKILL → owned container gone in %d ms%n", liveRestore,
                (System.nanoTime() - ownerDeath) / 1_000_000);
        List<JsonNode> ownedStory = AuditItJournal.awaitStory(journal, owner.containerId(), JOURNAL_WAIT,
                "owner-exit", "reap", "destroy");
        assertThat(ownedStory.stream().filter(r -> r.path("event").asText().equals("reap")).toList())
                .singleElement().satisfies(r -> assertThat(r.path("reason").asText()).isEqualTo("owner-exit"));
        assertThat(tether.process.isAlive()).isTrue();
    }

    // ---------------------------------------------------------------- (2) tether SIGKILLed, then started again

    /**
     * A tied to owner X, B tied to owner Y, C a {@code docker run -i} session that chose {@code tie=none}, D made on
     * the engine directly. tether is SIGKILLed: its clients see their connections drop. X dies while no tether runs.
     * The next tether reaps exactly A, for its owner's exit, at its start-up sweep.
     */
    @Test
    void aTetherKilledAndStartedAgainReapsExactlyTheContainerWhoseOwnerDiedMeanwhile() throws Exception {
        AuditItDockerd engine = privateEngine(List.of());
        Path journal = dir.resolve("audit.jsonl");
        ReapKit.Tether first = up(engine, journal, "--sweep-interval", "1h");

        Owner x = owner(engine, first, "fault-a");
        Owner y = owner(engine, first, "fault-b");
        String a = x.containerId();
        String b = y.containerId();
        String cName = Engine.name("fault-c");
        Cli.Running cCli = track(new Cli(Cli.NEW, first.socket).start("run", "-i", "--name", cName, "--label",
                Engine.labelArg(), "--label", "dev.tether.tie=none", "--network", "none", "--stop-timeout", "2",
                Engine.TEST_IMAGE, "sh", "-c", ReapKit.STUBBORN_SERVER));
        cCli.awaitStdout("ready", Duration.ofSeconds(60));
        cCli.write("before\n");
        cCli.awaitStdout("got before", Duration.ofSeconds(30));
        String c = inspectOn(engine, cName).path("Id").asText();
        Cli.Result direct = engine.cli().run("run", "-d", "--name", Engine.name("fault-d"), "--label",
                Engine.labelArg(), "--network", "none", "--stop-timeout", "2", Engine.TEST_IMAGE, "sleep", "600");
        assertThat(direct.exitCode()).as(direct.toString()).isZero();
        String d = direct.out().strip();
        RawHttp events = track(RawHttp.connect(first.socket)).timeout(Duration.ofSeconds(30));
        events.write(RawHttp.request("GET", "/events").bytes());
        assertThat(events.readHead().status()).isEqualTo(200);

        assertThat(inspectOn(engine, c).at("/Config/Labels/dev.tether.tie").asText()).isEqualTo("none");
        assertThat(inspectOn(engine, d).at("/Config/Labels").has("dev.tether.tie")).as("D carries no tether label")
                .isFalse();
        List<JsonNode> before = List.of(inspectOn(engine, a), inspectOn(engine, b), inspectOn(engine, c),
                inspectOn(engine, d));
        AuditItJournal.awaitStory(journal, a, JOURNAL_WAIT, "create", "start");

        first.sigkill();
        // tether's clients see their connections drop
        assertThat(events.awaitEof()).as("the events stream through tether ends").isTrue();
        Cli.Result cResult = cCli.await(Duration.ofSeconds(30));
        System.out.printf("[faults] tether SIGKILL: the attached CLI exited %d; stderr: %s%n", cResult.exitCode(),
                cResult.stderr().strip());
        assertThat(cResult.exitCode()).as("the CLI whose stream dropped fails: %s", cResult.describe()).isNotZero();

        // while no tether runs, X dies; nothing acts on it
        ReapKit.sigkill(x.process().process().toHandle());
        assertThat(Engine.running(inspectOn(engine, a))).as("A runs on while no tether runs").isTrue();

        long restarted = System.nanoTime();
        ReapKit.Tether second = up(engine, journal, "--sweep-interval", "1h");
        awaitGoneOn(engine, a, Duration.ofSeconds(30), "A, its owner dead while no tether ran");
        System.out.printf("[faults] tether restarted: A gone %d ms after the launch, %d ms after it answered%n",
                (System.nanoTime() - restarted) / 1_000_000, (System.nanoTime() - second.readyNanos()) / 1_000_000);
        assertThat(second.awaitReaped(nameOf(before.get(0))))
                .contains("its owner exited (pid " + x.process().pid());
        List<JsonNode> aStory = AuditItJournal.awaitStory(journal, a, JOURNAL_WAIT, "owner-exit", "reap", "destroy");
        System.out.println("[faults] A's story:\n" + AuditItJournal.describe(aStory));
        assertThat(aStory.stream().filter(r -> r.path("event").asText().equals("owner-exit")).toList())
                .singleElement().satisfies(r -> assertThat(r.path("pid").asLong()).isEqualTo(x.process().pid()));
        assertThat(aStory.stream().filter(r -> r.path("event").asText().equals("reap")).toList())
                .singleElement().satisfies(r -> assertThat(r.path("reason").asText()).isEqualTo("owner-exit"));

        // B, C and D run on, untouched; the start-up sweep that reaped A judged them too
        for (int i = 1; i < before.size(); i++) {
            JsonNode then = before.get(i);
            String id = then.path("Id").asText();
            JsonNode now = inspectOn(engine, id);
            assertThat(Engine.running(now)).as("%s runs: %s", nameOf(then), now.path("State")).isTrue();
            assertThat(now.at("/State/StartedAt").asText()).as("%s not restarted", nameOf(then))
                    .isEqualTo(then.at("/State/StartedAt").asText());
            assertThat(events(AuditItJournal.story(journal, id))).as("nothing reaped %s", nameOf(then))
                    .doesNotContainAnyElementsOf(REAPER_RECORDS);
        }
        assertThat(AuditItJournal.records(journal).stream().filter(r -> r.path("event").asText().equals("reap"))
                .map(r -> r.path("container").asText())).as("reaped: exactly A").containsExactly(a);
        assertThat(y.process().isAlive()).isTrue();
    }

    // ---------------------------------------------------------------- (3) tether's own SIGTERM

    /**
     * SIGTERM with a {@code docker run -i} session open: the session goes on through the drain, is closed when the
     * drain ends, and tether's own shutdown reaps nothing: its container runs on, and the journal has no reap. The
     * CLI exits when its stream closes, so the next tether reaps the container, for its owner's exit.
     */
    @Test
    void tethersOwnShutdownDrainsTheSessionThenClosesItAndReapsNothing() throws Exception {
        AuditItDockerd engine = privateEngine(List.of());
        Path journal = dir.resolve("audit.jsonl");
        ReapKit.Tether tether = up(engine, journal, "--drain", "3s");
        String name = Engine.name("fault-drain");
        Cli.Running session = track(new Cli(Cli.NEW, tether.socket).start("run", "-i", "--rm", "--name", name,
                "--label", Engine.labelArg(), "--network", "none", "--stop-timeout", "2", Engine.TEST_IMAGE, "sh", "-c",
                ReapKit.STUBBORN_SERVER));
        session.awaitStdout("ready", Duration.ofSeconds(60));
        session.write("before\n");
        session.awaitStdout("got before", Duration.ofSeconds(30));
        JsonNode before = inspectOn(engine, name);
        String id = before.path("Id").asText();
        AuditItJournal.awaitStory(journal, id, JOURNAL_WAIT, "create", "attach", "start");

        long term = System.nanoTime();
        tether.process.toHandle().destroy(); // SIGTERM
        tether.awaitLog(l -> l.contains("draining "), Duration.ofSeconds(10));
        session.write("during\n");
        session.awaitStdout("got during", Duration.ofSeconds(10));
        assertThat(tether.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("tether exits").isTrue();
        long exitedMs = (System.nanoTime() - term) / 1_000_000;
        Cli.Result cli = session.await(Duration.ofSeconds(30));
        System.out.printf("[faults] SIGTERM → tether exited %d ms later (drain 3 s), status %d; the session's CLI"
                + " exited %d; stderr: %s%n", exitedMs, tether.process.exitValue(), cli.exitCode(), cli.stderr().strip());
        assertThat(exitedMs).as("the drain ran its 3 s, then tether closed the session").isBetween(2_900L, 20_000L);
        assertThat(cli.out()).contains("got before", "got during");
        assertThat(cli.exitCode()).as("the closed session's CLI fails: %s", cli.describe()).isNotZero();

        // tether's shutdown stopped nothing: the container runs on (its CLI gone; a next tether may judge it)
        JsonNode after = inspectOn(engine, id);
        assertThat(Engine.running(after)).as("still running: %s", after.path("State")).isTrue();
        assertThat(after.at("/State/StartedAt").asText()).isEqualTo(before.at("/State/StartedAt").asText());
        List<JsonNode> story = AuditItJournal.story(journal, id);
        System.out.println("[faults] the drained session's story:\n" + AuditItJournal.describe(story));
        assertThat(events(story)).as("tether's shutdown reaped nothing").doesNotContainAnyElementsOf(REAPER_RECORDS)
                .doesNotContain("kill", "die", "destroy");
        assertThat(story.stream().filter(AuditItJournal.event("detach", id)).toList())
                .as("the session's stream: ended by tether's shutdown").singleElement()
                .satisfies(r -> assertThat(r.path("by").asText()).isEqualTo("tether"));
        assertThat(tether.log()).doesNotContain(" reaped ");

        // the next tether finds the session's CLI dead, and reaps its container for that
        ReapKit.Tether next = up(engine, journal);
        awaitGoneOn(engine, id, Duration.ofSeconds(30), "the drained session's container, once a tether runs again");
        assertThat(next.awaitReaped(name)).contains("its owner exited (pid " + session.pid());
        List<JsonNode> reaps = AuditItJournal.awaitStory(journal, id, JOURNAL_WAIT, "owner-exit", "reap").stream()
                .filter(r -> r.path("event").asText().equals("reap")).toList();
        assertThat(reaps).singleElement().satisfies(r -> assertThat(r.path("reason").asText()).isEqualTo("owner-exit"));
    }

    // ---------------------------------------------------------------- (4) a journal that cannot be written

    /**
     * The journal's file system is full, or read-only, from the start: tether relays, labels and reaps all the same,
     * warns once, counts what it drops, and writes again once it can.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"full", "read-only"})
    void withAnUnwritableJournalTetherRelaysAndReapsAndResumesJournalingWhenItCan(String fault) throws Exception {
        AuditItDockerd engine = privateEngine(List.of());
        Path mount = Files.createDirectory(dir.resolve("journal-fs"));
        boolean full = fault.equals("full");
        Cli.Result mounted = run("mount", "-t", "tmpfs", "-o", (full ? "" : "ro,") + "size=64k", "tmpfs",
                mount.toString());
        assertThat(mounted.exitCode()).as("mounting a 64 KiB tmpfs (the suite runs as root, as CI does): %s",
                mounted).isZero();
        toClose.add(() -> run("umount", "-l", mount.toString()));
        Path filler = mount.resolve("filler");
        if (full) {
            try (var out = Files.newOutputStream(filler)) {
                byte[] page = new byte[4096];
                for (int i = 0; i < 64; i++) {
                    out.write(page);
                    out.flush();
                }
            } catch (IOException noRoom) {
                // what was wanted: no room left
            }
        }
        Path journal = mount.resolve("audit.jsonl");
        ReapKit.Tether tether = up(engine, journal);
        Cli docker = new Cli(Cli.NEW, tether.socket);

        Cli.Result hello = docker.run("run", "--rm", "--label", Engine.labelArg(), "--network", "none",
                Engine.TEST_IMAGE, "echo", "relayed");
        assertThat(hello.exitCode()).as(hello.toString()).isZero();
        assertThat(hello.out()).isEqualTo("relayed\n");

        String name = Engine.name("fault-journal-" + fault);
        Cli.Running session = track(docker.start("run", "-i", "--rm", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "sh", "-c", ReapKit.STUBBORN_SERVER));
        session.awaitStdout("ready", Duration.ofSeconds(60));
        String id = inspectOn(engine, name).path("Id").asText();
        assertThat(inspectOn(engine, id).at("/Config/Labels/dev.tether.tie").asText()).isEqualTo("session");
        long death = System.nanoTime();
        ReapKit.sigkill(session.process().toHandle());
        awaitGoneOn(engine, id, Duration.ofSeconds(30), "the session container, its CLI killed");
        System.out.printf("[faults] journal %s: CLI SIGKILL → container gone in %d ms%n", fault,
                (System.nanoTime() - death) / 1_000_000);
        tether.awaitReaped(name);

        String metrics = metrics(tether);
        var dropped = java.util.regex.Pattern.compile("(?m)^tether_journal_dropped_records (\\d+)\\.0$")
                .matcher(metrics);
        assertThat(dropped.find()).as(metrics).isTrue();
        long droppedCount = Long.parseLong(dropped.group(1));
        System.out.printf("[faults] journal %s: %d records dropped%n", fault, droppedCount);
        assertThat(droppedCount).as("create, attach, start, … reap: all dropped").isGreaterThanOrEqualTo(6);
        assertThat(tether.log().lines().filter(l -> l.contains("is not writable"))).as("one warning").hasSize(1);
        assertThat(tether.log()).contains(full ? "No space left on device" : "Read-only file system");

        if (full) {
            Files.delete(filler);
        } else {
            Cli.Result writable = run("mount", "-o", "remount,rw", mount.toString());
            assertThat(writable.exitCode()).as(writable.toString()).isZero();
        }
        String later = Engine.name("fault-room-again");
        Cli.Result created = docker.run("create", "--name", later, "--label", Engine.labelArg(), "--network", "none",
                Engine.TEST_IMAGE, "true");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        String laterId = created.out().strip();
        AuditItJournal.await(journal, AuditItJournal.event("create", laterId), "create once there is room",
                JOURNAL_WAIT);
        tether.awaitLog(l -> l.contains("is writable again"), Duration.ofSeconds(10));
    }

    // ---------------------------------------------------------------- helpers

    /** A private dockerd with the test image; closed after the test's clients and tethers. */
    private AuditItDockerd privateEngine(List<String> options) {
        AuditItDockerd engine = AuditItDockerd.start(Duration.ofSeconds(60), options);
        toClose.add(engine);
        engine.loadImage(Engine.TEST_IMAGE, Engine.endpoint().uri(), Duration.ofSeconds(120));
        return engine;
    }

    private ReapKit.Tether up(AuditItDockerd engine, Path journal, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--upstream", engine.uri(), "--audit-log", journal.toString(),
                "--grace", "1s"));
        all.addAll(List.of(args));
        ReapKit.Tether t = ReapKit.Tether.up(dir.resolve("d.sock"), all.toArray(String[]::new));
        tethers.add(t);
        toClose.add(t);
        return t;
    }

    /** A living SDK-like process that made one running container through tether ({@code tie=owner}). */
    private record Owner(Cli.Running process, String containerId) {}

    private Owner owner(AuditItDockerd engine, ReapKit.Tether tether, String purpose) throws IOException {
        var pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FaultsOwnerChild.class.getName(),
                tether.socket.toString(), Engine.name(purpose), Engine.TEST_IMAGE, Engine.RUN_ID);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        Cli.Running child = track(new Cli.Running("owner child " + purpose, pb.start()));
        child.awaitStdout("ID ", Duration.ofSeconds(60));
        String id = child.stdoutSoFar().lines().filter(l -> l.startsWith("ID ")).findFirst().orElseThrow()
                .substring(3).strip();
        JsonNode labels = inspectOn(engine, id).at("/Config/Labels");
        assertThat(labels.path("dev.tether.owner.pid").asText()).as(labels.toString())
                .isEqualTo(Long.toString(child.pid()));
        return new Owner(child, id);
    }

    private <T extends AutoCloseable> T track(T closeable) {
        toClose.add(closeable);
        return closeable;
    }

    private static Optional<JsonNode> findOn(AuditItDockerd engine, String idOrName) {
        RawHttp.Response r;
        try (RawHttp http = RawHttp.connect(engine.socket())) {
            r = http.exchange(RawHttp.request("GET", "/containers/" + Engine.encode(idOrName) + "/json"));
        }
        if (r.status() == 404) {
            return Optional.empty();
        }
        assertThat(r.status()).as("inspect %s on the private engine: %s", idOrName, r).isEqualTo(200);
        return Optional.of(r.json());
    }

    private static JsonNode inspectOn(AuditItDockerd engine, String idOrName) {
        return findOn(engine, idOrName).orElseThrow(() -> new AssertionError("the private engine has no " + idOrName));
    }

    private static void awaitGoneOn(AuditItDockerd engine, String id, Duration timeout, String what) {
        long end = System.nanoTime() + timeout.toNanos();
        Optional<JsonNode> last;
        while ((last = findOn(engine, id)).isPresent()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + ": " + id + " still exists after " + timeout + ": "
                        + last.get().path("State"));
            }
            Engine.pause();
        }
    }

    private static String nameOf(JsonNode inspect) {
        return inspect.path("Name").asText().replaceFirst("^/", "");
    }

    /** GET /metrics on tether's control socket. */
    private static String metrics(ReapKit.Tether tether) {
        RawHttp.Response r;
        try (RawHttp http = RawHttp.connect(Path.of(tether.socket + ".control"))) {
            r = http.exchange(RawHttp.request("GET", "/metrics"));
        }
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.text();
    }

    /** A short command to its end. */
    private static Cli.Result run(String... command) {
        try (Cli.Running running = new Cli.Running(String.join(" ", command), new ProcessBuilder(command).start())) {
            running.closeStdin();
            return running.await(Duration.ofSeconds(30));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> events(List<JsonNode> story) {
        return story.stream().map(r -> r.path("event").asText()).toList();
    }
}
