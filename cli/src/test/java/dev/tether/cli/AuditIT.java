package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;

/**
 * The audit journal, {@code tether status} and {@code /metrics} of a real {@code tether up} process on the real
 * engine: every test starts its own tether with its own socket and journal (so counters start at zero) and reads
 * the journal back as a file, strictly, line by line. The engine-restart test restarts a private dockerd of its own
 * ({@link AuditItDockerd}), never the machine's engine.
 */
@Timeout(180)
class AuditIT {

    private static final Duration JOURNAL_WAIT = Duration.ofSeconds(30);
    /** A stdio server that ignores SIGTERM and the end of its stdin: only the reaper's SIGKILL ends it. */
    private static final String STUBBORN = "trap \"\" TERM; while :; do sleep 1; done";

    private Path dir;
    private final List<ReapKit.Tether> tethers = new ArrayList<>();
    private final List<Cli.Running> clis = new ArrayList<>();
    private final Set<String> containers = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void image() {
        Engine.ensureImage();
    }

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "audit-it");
    }

    @AfterEach
    void tearDown(TestInfo test) {
        // containers first: a living client's container would otherwise be reaped by the clients' ends below
        containers.forEach(Engine::remove);
        clis.forEach(Cli.Running::close);
        for (ReapKit.Tether t : tethers) {
            t.close();
            System.out.println("[tether log, " + test.getDisplayName() + "]\n" + t.log());
        }
        ReapKit.deleteTree(dir);
    }

    @AfterAll
    static void cleanup() {
        Engine.cleanup();
    }

    // ---------------------------------------------------------------- (1) the story of a reaped MCP session

    @Test
    void aReapedSessionsWholeStoryIsJournaledInOrderAndItsSecretNowhere() {
        Cli.requireInstalled(Cli.NEW);
        Path journal = dir.resolve("state/audit.jsonl");
        ReapKit.Tether tether = up(journal, "--grace", "1s");
        String name = Engine.name("audit-story");

        Cli.Running cli = track(new Cli(Cli.NEW, tether.socket).start("run", "-i", "--rm", "--name", name,
                "--label", Engine.labelArg(), "--network", "none", "-e", "SECRET_TOKEN=hunter2",
                Engine.TEST_IMAGE, "sh", "-c", STUBBORN)); // its stdin: a pipe held open by this test
        String id = Engine.awaitContainer(name, Engine::running, "running", Duration.ofSeconds(60)).path("Id").asText();
        containers.add(id);
        // the session's beginning is in the journal before its owner dies
        AuditItJournal.awaitStory(journal, id, JOURNAL_WAIT, "create", "attach", "start");

        long cliPid = cli.pid();
        ReapKit.sigkill(cli.process().toHandle());
        Engine.awaitGone(id, Duration.ofSeconds(30));
        List<JsonNode> story = AuditItJournal.awaitStory(journal, id, JOURNAL_WAIT,
                "create", "attach", "start", "kill", "die", "destroy", "reap");
        System.out.println("[audit story] " + name + "\n" + AuditItJournal.describe(story));

        JsonNode create = first(story, "create");
        assertThat(create.path("name").asText()).isEqualTo(name);
        assertThat(create.path("tie").asText()).isEqualTo("session");
        assertThat(create.at("/owner/pid").asLong()).as("owner: the docker CLI").isEqualTo(cliPid);
        assertThat(create.at("/owner/exe").asText()).isEqualTo(Cli.NEW);
        assertThat(create.at("/owner/uid").isIntegralNumber()).as(create.toString()).isTrue();
        assertThat(texts(create.at("/owner/command"))).as("the CLI's command, env values cut")
                .containsSubsequence("run", "-i", "--rm").containsSubsequence("-e", "SECRET_TOKEN=***");
        assertThat(create.at("/host/pid").asLong()).as("host: the CLI's parent, this JVM")
                .isEqualTo(ProcessHandle.current().pid());
        assertThat(create.at("/changed/labels/dev.tether.tie").asText()).isEqualTo("session");
        assertThat(create.at("/changed/labels/dev.tether.owner.pid").asText()).isEqualTo(Long.toString(cliPid));

        JsonNode attach = first(story, "attach");
        assertThat(attach.at("/client/pid").asLong()).as(attach.toString()).isEqualTo(cliPid);

        // the CLI's death and the end of its attach stream race to tell tether: the winner is the reap's reason
        JsonNode reap = first(story, "reap");
        String reason = reap.path("reason").asText();
        System.out.println("[audit story] reap reason: " + reason);
        assertThat(reason).isIn("owner-exit", "session-ended");
        JsonNode death = first(story, reason);
        assertThat(death.path("pid").asLong()).as(death.toString()).isEqualTo(cliPid);
        assertThat(death.path("exe").asText()).isEqualTo(Cli.NEW);
        assertThat(Instant.parse(death.path("detected").asText())).isNotNull();
        assertThat(story.stream().filter(r -> Set.of("owner-exit", "host-exit", "session-ended")
                .contains(r.path("event").asText()))).as("one death record: the one reaped for").hasSize(1);
        assertThat(reap.path("graceSeconds").asLong()).isEqualTo(1);
        assertThat(reap.path("stopped").asText()).isNotEmpty();
        assertThat(reap.path("removed").asText()).isNotEmpty();
        assertThat(reap.path("noticeToGoneMs").asLong()).as("SIGTERM is ignored: the 1 s grace runs out")
                .isGreaterThanOrEqualTo(900);

        List<String> signals = story.stream().filter(r -> r.path("event").asText().equals("kill"))
                .map(r -> r.path("signal").asText()).toList();
        assertThat(signals).as("the graceful stop: SIGTERM, then SIGKILL").containsSubsequence("15", "9");
        assertThat(first(story, "die").path("exitCode").asText()).isEqualTo("137");

        // in order: what can only happen after something else comes after it in the file
        assertBefore(story, "create", "attach");
        assertBefore(story, "create", "start");
        assertBefore(story, "attach", reason);
        assertBefore(story, "start", reason);
        assertBefore(story, reason, "kill");
        assertBefore(story, "kill", "die");
        assertBefore(story, "die", "destroy");
        assertBefore(story, reason, "reap");
        assertTimesAscend(AuditItJournal.records(journal));

        assertThat(AuditItJournal.readByTether(journal)).as("tether's own reader skips nothing")
                .hasSize(AuditItJournal.records(journal).size());
        assertThat(AuditItJournal.raw(journal).tail()).as("the journal ends with a whole line").isEmpty();
        assertThat(AuditItJournal.raw(journal).text()).as("the secret").doesNotContain("hunter2");
    }

    // ---------------------------------------------------------------- (2) no secrets

    @Test
    void credentialsInACreateNeverReachTheJournal() {
        Cli.requireInstalled(Cli.NEW);
        Path journal = dir.resolve("audit.jsonl");
        ReapKit.Tether tether = up(journal);

        ObjectNode body = Engine.containerSpec("true");
        body.putArray("Env").add("API_KEY=s3cr3t-env");
        String auth = Base64.getUrlEncoder().encodeToString(
                "{\"username\":\"me\",\"password\":\"s3cr3t-auth\"}".getBytes(StandardCharsets.UTF_8));
        String name = Engine.name("audit-secret-raw");
        RawHttp.Response created;
        try (RawHttp http = RawHttp.connect(tether.socket)) {
            created = http.exchange(RawHttp.request("POST", "/containers/create?name=" + Engine.encode(name))
                    .header("X-Registry-Auth", auth)
                    .json(body.toString()));
        }
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String rawId = created.json().path("Id").asText();
        containers.add(rawId);
        assertThat(Engine.inspect(rawId).at("/Config/Env").toString()).as("the engine got the env")
                .contains("API_KEY=s3cr3t-env");

        // the docker CLI: its command line is journaled (the owner's), with the value of each -e cut
        String cliName = Engine.name("audit-secret-cli");
        Cli.Result cli = new Cli(Cli.NEW, tether.socket).run("create", "--name", cliName, "--label", Engine.labelArg(),
                "--network", "none", "-e", "API_KEY=s3cr3t-env", "--env=OTHER=s3cr3t-env", Engine.TEST_IMAGE, "true");
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        String cliId = cli.out().strip();
        containers.add(cliId);

        JsonNode rawCreate = AuditItJournal.await(journal, AuditItJournal.event("create", rawId), "create",
                JOURNAL_WAIT);
        JsonNode cliCreate = AuditItJournal.await(journal, AuditItJournal.event("create", cliId), "create",
                JOURNAL_WAIT);
        System.out.println("[audit secrets]\n  " + rawCreate + "\n  " + cliCreate);
        assertThat(rawCreate.at("/owner/pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        assertThat(rawCreate.path("tie").asText()).as("an SDK-like client").isEqualTo("owner");
        assertThat(texts(cliCreate.at("/owner/command"))).contains("API_KEY=***", "--env=OTHER=***");

        String text = AuditItJournal.raw(journal).text();
        assertThat(text).doesNotContain("s3cr3t-env").doesNotContain("s3cr3t-auth").doesNotContain(auth);
        AuditItJournal.records(journal); // and every line parses
    }

    /**
     * {@code -ie NAME=value} is {@code -i -e NAME=value} to the docker CLI (and {@code -ite} is {@code -i -t -e}):
     * the value is an env value like any other, and is cut like any other.
     */
    @Test
    void envValuesAfterCombinedShortFlagsAreCutToo() {
        Cli.requireInstalled(Cli.NEW);
        Path journal = dir.resolve("audit.jsonl");
        ReapKit.Tether tether = up(journal);
        String name = Engine.name("audit-secret-combined");
        Cli.Result cli = new Cli(Cli.NEW, tether.socket).run("create", "-ie", "DATABASE_URL=postgres://me:s3cr3t-db@db/app",
                "--name", name, "--label", Engine.labelArg(), "--label", "dev.tether.tie=none", // -i: kept, not reaped
                "--network", "none", Engine.TEST_IMAGE, "true");
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        String id = cli.out().strip();
        containers.add(id);
        assertThat(Engine.inspect(id).at("/Config/Env").toString()).as("the CLI read -ie as -i -e")
                .contains("DATABASE_URL=postgres://me:s3cr3t-db@db/app");

        JsonNode create = AuditItJournal.await(journal, AuditItJournal.event("create", id), "create", JOURNAL_WAIT);
        assertThat(texts(create.at("/owner/command"))).as(create.toString()).contains("DATABASE_URL=***");
        assertThat(AuditItJournal.raw(journal).text()).doesNotContain("s3cr3t-db");
    }

    // ---------------------------------------------------------------- (3) SIGKILL mid-write

    @Test
    void theJournalIsWholeLinesAfterTetherIsKilledMidWrite() throws Exception {
        Path journal = dir.resolve("audit.jsonl");
        ReapKit.Tether tether = up(journal);
        int threads = 4;
        int perThread = 50;
        AtomicInteger done = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("audit-it-churn-" + t).start(() -> {
                try (RawHttp http = RawHttp.connect(tether.socket)) {
                    http.timeout(Duration.ofSeconds(20));
                    for (int i = 0; i < perThread; i++) {
                        String name = Engine.name("audit-churn");
                        containers.add(name);
                        RawHttp.Response c = http.exchange(RawHttp.request("POST", "/containers/create?name="
                                + Engine.encode(name)).json(Engine.containerSpec("true").toString()));
                        assertThat(c.status()).as(c.toString()).isEqualTo(201);
                        String id = c.json().path("Id").asText();
                        RawHttp.Response s = http.exchange(RawHttp.request("POST", "/containers/" + id + "/start"));
                        assertThat(s.status()).as(s.toString()).isEqualTo(204);
                        RawHttp.Response d = http.exchange(RawHttp.request("DELETE", "/containers/" + id + "?force=1&v=1"));
                        assertThat(d.status()).as(d.toString()).isEqualTo(204);
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    if (!killed.get()) {
                        failures.add(e);
                    }
                }
            }));
        }
        // mid-run: enough done that the journal is busy, far from all of it
        long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (done.get() < 40 && failures.isEmpty() && System.nanoTime() < end) {
            Engine.pause();
        }
        assertThat(failures).as("the churn through tether").isEmpty();
        assertThat(done.get()).as("operations done before the kill").isGreaterThanOrEqualTo(40);
        killed.set(true);
        tether.sigkill();
        int doneAtKill = done.get();
        for (Thread w : workers) {
            w.join(Duration.ofSeconds(60));
            assertThat(w.isAlive()).as("%s ended once tether was gone", w.getName()).isFalse();
        }
        assertThat(doneAtKill).as("killed while it ran").isLessThan(threads * perThread);

        AuditItJournal.Raw raw = AuditItJournal.raw(journal);
        List<JsonNode> records = AuditItJournal.records(journal); // fails on any line that does not parse
        System.out.printf("[audit crash] %d create/start/remove done when tether was killed; %d records;"
                + " %d bytes after the last newline%n", doneAtKill, records.size(), raw.tail().length());
        assertThat(records).as("records written before the kill").isNotEmpty();
        assertThat(records.stream().filter(r -> r.path("event").asText().equals("create")).count())
                .as("a create record for every create answered before the kill").isGreaterThanOrEqualTo(doneAtKill);
        // A SIGKILL inside the write(2) of a line spanning a page boundary may leave a cut-off tail without a
        // newline (JournalWriter's documented gap): no reader takes it for a record, and the next writer cuts it off.

        // the next tether on the same journal appends after whole lines
        ReapKit.Tether next = up(dir.resolve("next.sock"), journal);
        String name = Engine.name("audit-after-crash");
        RawHttp.Response c;
        try (RawHttp http = RawHttp.connect(next.socket)) {
            c = http.exchange(RawHttp.request("POST", "/containers/create?name=" + Engine.encode(name))
                    .json(Engine.containerSpec("true").toString()));
        }
        assertThat(c.status()).as(c.toString()).isEqualTo(201);
        String id = c.json().path("Id").asText();
        containers.add(id);
        AuditItJournal.await(journal, AuditItJournal.event("create", id), "create after the crash", JOURNAL_WAIT);
        assertThat(AuditItJournal.records(journal)).hasSizeGreaterThan(records.size());
        assertThat(AuditItJournal.raw(journal).tail()).isEmpty();
        assertThat(AuditItJournal.readByTether(journal)).hasSize(AuditItJournal.records(journal).size());
    }

    // ---------------------------------------------------------------- (4) an engine restart

    /**
     * On a private dockerd of the test's own ({@link AuditItDockerd}), never the machine's engine: restarting that
     * would stop every container on it. tether runs on the private engine while it is stopped and started again, and
     * goes on journaling from the engine's event stream, without telling an event twice.
     */
    @Test
    @Timeout(300)
    void engineEventsAreFollowedAcrossAnEngineRestart() {
        Cli.requireInstalled(Cli.NEW);
        Optional<String> hostBridge = AuditItDockerd.hostBridge();
        Path engineDir;
        try (AuditItDockerd engine = AuditItDockerd.start(Duration.ofSeconds(60))) {
            engineDir = engine.dir();
            System.out.println("[audit restart] private dockerd " + engine.process().map(ProcessHandle::pid)
                    .orElse(-1L) + " on " + engine.uri());
            engine.loadImage(Engine.TEST_IMAGE, Engine.endpoint().uri(), Duration.ofSeconds(120));

            Path journal = dir.resolve("audit.jsonl");
            ReapKit.Tether tether = up(journal, "--upstream", engine.uri());
            Cli docker = new Cli(Cli.NEW, tether.socket);
            String before = runDetachedOn(engine, docker, "audit-before-restart", "true");
            AuditItJournal.awaitStory(journal, before, JOURNAL_WAIT, "create", "start", "die");
            removeOn(engine, before);
            AuditItJournal.awaitStory(journal, before, JOURNAL_WAIT, "destroy"); // the last event before the restart

            long pidBefore = engine.process().orElseThrow().pid();
            long t0 = System.nanoTime();
            engine.stop(Duration.ofSeconds(60));
            System.out.printf("[audit restart] dockerd %d gone after %d ms%n", pidBefore,
                    (System.nanoTime() - t0) / 1_000_000);
            assertThat(engine.answers()).as("the engine is down").isFalse();
            assertThat(tether.process.isAlive()).as("tether outlives its engine's stop").isTrue();
            Cli.Result down = tetherStatus("--socket", tether.socket.toString(), "--json");
            System.out.println("[audit restart] tether status --json, engine down:\n" + down.out());
            assertThat(down.exitCode()).as("status answers with the engine down: " + down).isZero();
            engine.launch();
            engine.awaitAnswers(Duration.ofSeconds(60));
            long pidAfter = engine.process().orElseThrow().pid();
            System.out.printf("[audit restart] engine answers again %d ms after the stop began; dockerd %d%n",
                    (System.nanoTime() - t0) / 1_000_000, pidAfter);
            assertThat(pidAfter).as("a new dockerd").isNotEqualTo(pidBefore);

            assertThat(tether.process.isAlive()).as("tether outlived the engine's restart").isTrue();
            String after = runDetachedOn(engine, docker, "audit-after-restart", "sleep", "300");
            List<JsonNode> story = AuditItJournal.awaitStory(journal, after, JOURNAL_WAIT, "create", "start");
            System.out.println("[audit restart] after the restart:\n" + AuditItJournal.describe(story));
            assertThat(first(story, "create").path("tie").asText()).isEqualTo("none");
            assertThat(first(story, "create").path("name").asText()).startsWith("tether-it-" + Engine.RUN_ID + "-");
            removeOn(engine, after);
            story = AuditItJournal.awaitStory(journal, after, JOURNAL_WAIT, "kill", "die", "destroy");
            System.out.println("[audit restart] after the restart, removed:\n" + AuditItJournal.describe(story));
            assertThat(story.stream().map(r -> r.path("event").asText()).filter(e -> e.equals("create")
                    || e.equals("start"))).as("the create and the start after the restart, each once:\n%s",
                            AuditItJournal.describe(story)).containsExactly("create", "start");
            // the stream was picked up where it broke, without telling an event twice
            List<JsonNode> beforeStory = AuditItJournal.story(journal, before);
            assertThat(beforeStory.stream().map(r -> r.path("event").asText()))
                    .as("the story of the container removed before the restart, each event once:\n%s",
                            AuditItJournal.describe(beforeStory))
                    .containsExactly("create", "start", "die", "destroy");

            Cli.Result status = tetherStatus("--socket", tether.socket.toString());
            System.out.println("[audit restart] tether status after the restart\n" + status.out());
            assertThat(status.exitCode()).as(status.toString()).isZero();
            assertThat(status.out()).contains("tether is running (pid " + tether.pid() + ",")
                    .contains("  upstream  " + engine.uri());
            assertThat(tether.process.isAlive()).isTrue();
            assertThat(AuditItJournal.raw(journal).tail()).isEmpty();
            assertThat(AuditItJournal.readByTether(journal)).hasSize(AuditItJournal.records(journal).size());
            assertThat(AuditItDockerd.hostBridge()).as("the machine's docker0, untouched by the private engine")
                    .isEqualTo(hostBridge);
        }
        assertThat(AuditItDockerd.hostBridge()).as("the machine's docker0, after the private engine's end")
                .isEqualTo(hostBridge);
        assertThat(engineDir).as("the private engine's directory, deleted").doesNotExist();
    }

    // ---------------------------------------------------------------- (5) tether status and /metrics

    @Test
    void statusAndMetricsTellTiesCreatesAndReaps() {
        Cli.requireInstalled(Cli.NEW);
        Path journal = dir.resolve("audit.jsonl");
        ReapKit.Tether tether = up(journal, "--grace", "1s");
        Path control = dir.resolve("d.sock.control");
        assertThat(Files.exists(control)).as("the control socket beside the Docker one").isTrue();

        // a living stdio session
        String session = Engine.name("audit-status-session");
        Cli.Running cli = track(new Cli(Cli.NEW, tether.socket).start("run", "-i", "--rm", "--name", session,
                "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sh", "-c",
                "echo ready; " + STUBBORN));
        containers.add(session);
        cli.awaitStdout("ready", Duration.ofSeconds(60));

        Cli.Result status = tetherStatus("--socket", tether.socket.toString());
        System.out.println("[audit status] with a session\n" + status.out());
        assertThat(status.exitCode()).as(status.toString()).isZero();
        assertThat(status.out()).contains("tether is running (pid " + tether.pid() + ", since ")
                .contains("  socket    " + tether.socket)
                .contains("  control   " + control)
                .contains("  upstream  unix:///var/run/docker.sock")
                .contains("  journal   " + journal)
                .contains("  reaps     0 since start")
                .containsPattern("(?m)^  tied      .*\\b[1-9]\\d* session\\b");
        JsonNode json = statusJson(tether);
        assertThat(json.path("pid").asLong()).isEqualTo(tether.pid());
        assertThat(json.at("/tied/session").asLong()).as(json.toString()).isGreaterThanOrEqualTo(1);

        String metrics = metrics(control);
        assertThat(metrics).contains("tether_creates_total{tie=\"session\"} 1.0")
                .containsPattern("(?m)^tether_connections_total [1-9]")
                .containsPattern("(?m)^tether_connections_open ")
                .containsPattern("(?m)^tether_requests_total\\{route=\"create\"\\} 1\\.0$")
                .containsPattern("(?m)^tether_upstream_errors_total 0\\.0$")
                .containsPattern("(?m)^tether_journal_dropped_records 0\\.0$")
                .doesNotContain("tether_reaps_total{");

        // a reap for certain reasons: an owner-tied container whose owner, the CLI of `docker run -d`, has exited
        String reaped = Engine.name("audit-status-reaped");
        containers.add(reaped);
        Cli.Result run = new Cli(Cli.NEW, tether.socket).run("run", "-d", "--name", reaped, "--label",
                Engine.labelArg(), "--label", "dev.tether.tie=owner", "--network", "none", Engine.TEST_IMAGE,
                "sleep", "300");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        String reapedId = run.out().strip();
        Engine.awaitGone(reapedId, Duration.ofSeconds(30));
        JsonNode reap = AuditItJournal.await(journal, AuditItJournal.event("reap", reapedId), "reap", JOURNAL_WAIT);
        assertThat(reap.path("reason").asText()).isEqualTo("owner-exit");

        status = tetherStatus("--socket", tether.socket.toString());
        System.out.println("[audit status] after a reap\n" + status.out());
        assertThat(status.exitCode()).as(status.toString()).isZero();
        assertThat(status.out()).contains("  reaps     1 since start")
                .contains(reapedId.substring(0, 12) + " " + reaped + ": owner-exit, gone ")
                .containsPattern("(?m)^  tied      .*\\b[1-9]\\d* session\\b");

        metrics = metrics(control);
        System.out.println("[audit metrics]\n" + metrics);
        assertThat(metrics).contains("tether_reaps_total{reason=\"owner-exit\"} 1.0")
                .contains("tether_creates_total{tie=\"session\"} 1.0")
                .contains("tether_creates_total{tie=\"owner\"} 1.0")
                .containsPattern("(?m)^tether_reap_death_to_gone_seconds_count 1(\\.0)?$")
                .containsPattern("(?m)^tether_reap_death_to_gone_seconds_sum ")
                .containsPattern("(?m)^tether_reap_death_to_gone_seconds_bucket\\{le=\"\\+Inf\"\\} 1(\\.0)?$");
        Matcher sum = Pattern.compile("(?m)^tether_reap_death_to_gone_seconds_sum (\\S+)$").matcher(metrics);
        assertThat(sum.find()).isTrue();
        assertThat(Double.parseDouble(sum.group(1))).as("death to gone, seconds").isGreaterThan(0).isLessThan(30);

        Cli.Result none = tetherStatus("--socket", "/tmp/nothing/docker.sock");
        assertThat(none.exitCode()).as(none.toString()).isEqualTo(3);
        assertThat(none.out()).contains("tether is not running on /tmp/nothing/docker.sock");
    }

    // ---------------------------------------------------------------- helpers

    private ReapKit.Tether up(Path journal, String... args) {
        return up(dir.resolve("d.sock"), journal, args);
    }

    private ReapKit.Tether up(Path socket, Path journal, String... args) {
        List<String> all = new ArrayList<>(List.of("--audit-log", journal.toString()));
        all.addAll(List.of(args));
        try {
            ReapKit.Tether t = ReapKit.Tether.up(socket, all.toArray(String[]::new));
            tethers.add(t);
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Cli.Running track(Cli.Running running) {
        clis.add(running);
        return running;
    }

    /** {@code docker run -d} through tether; returns the id. */
    private String runDetached(Cli docker, String purpose, String... cmd) {
        String name = Engine.name(purpose);
        containers.add(name);
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE));
        args.addAll(List.of(cmd));
        Cli.Result r = docker.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        String id = r.out().strip();
        containers.add(id);
        return id;
    }

    /** {@code tether status ARGS} as a separate process, to its end. */
    private static Cli.Result tetherStatus(String... args) {
        List<String> command = ReapKit.tetherCommand("status");
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            return running.await(Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode statusJson(ReapKit.Tether tether) {
        Cli.Result r = tetherStatus("--socket", tether.socket.toString(), "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        try {
            return RawHttp.JSON.readTree(r.out());
        } catch (IOException e) {
            throw new AssertionError("tether status --json printed no JSON: " + r, e);
        }
    }

    /** GET /metrics on the control socket, with a raw HTTP/1.1 client. */
    private static String metrics(Path control) {
        RawHttp.Response r;
        try (RawHttp http = RawHttp.connect(control)) {
            r = http.exchange(RawHttp.request("GET", "/metrics"));
        }
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.head().header("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        return r.text();
    }

    /** {@code docker run -d} through tether on the private engine; returns the id. */
    private static String runDetachedOn(AuditItDockerd engine, Cli docker, String purpose, String... cmd) {
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", Engine.name(purpose), "--label",
                Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE));
        args.addAll(List.of(cmd));
        Cli.Result r = docker.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        String id = r.out().strip();
        assertThat(engine.cli().run("container", "inspect", "--format", "{{.Id}}", id).out().strip())
                .as("the container is on the private engine").isEqualTo(id);
        return id;
    }

    /** {@code docker rm -f} directly on the private engine. */
    private static void removeOn(AuditItDockerd engine, String id) {
        Cli.Result r = engine.cli().run("rm", "-f", "-v", id);
        assertThat(r.exitCode()).as(r.toString()).isZero();
    }

    private static JsonNode first(List<JsonNode> story, String event) {
        return story.stream().filter(r -> r.path("event").asText().equals(event)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + event + " record in\n" + AuditItJournal.describe(story)));
    }

    private static int indexOf(List<JsonNode> story, String event) {
        for (int i = 0; i < story.size(); i++) {
            if (story.get(i).path("event").asText().equals(event)) {
                return i;
            }
        }
        throw new AssertionError("no " + event + " record in\n" + AuditItJournal.describe(story));
    }

    private static void assertBefore(List<JsonNode> story, String earlier, String later) {
        assertThat(indexOf(story, earlier)).as("%s is journaled before %s in\n%s", earlier, later,
                AuditItJournal.describe(story)).isLessThan(indexOf(story, later));
    }

    private static void assertTimesAscend(List<JsonNode> records) {
        for (int i = 1; i < records.size(); i++) {
            assertThat(records.get(i).path("time").asText()).as("record %d's time", i + 1)
                    .isGreaterThanOrEqualTo(records.get(i - 1).path("time").asText());
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
