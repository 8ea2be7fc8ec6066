package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * A journal that cannot be written right now holds up no Docker request: another process (here: this test) holds
 * the journal's cross-process lock, as a second tether stopped with SIGSTOP would, while a client creates and starts
 * containers through a real {@code tether up}. Each journal write waits out the writer's lock wait (1 s) before it
 * appends without the lock; that wait must fall on tether's journal thread, never on the relay's event loop.
 */
@Timeout(180)
class JournalLockIT {

    /** {@code JournalWriter.LOCK_WAIT}: how long a journal write waits for the lock before it appends without it. */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(1);
    private static final int CONTAINERS = 5;
    private static final Duration JOURNAL_WAIT = Duration.ofSeconds(60);
    private static final String MARK = "tether-it.journal-lock";

    private Path dir;
    private ReapKit.Tether tether;
    private final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void image() {
        Engine.ensureImage();
    }

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "journal-lock-it");
    }

    @AfterEach
    void tearDown(TestInfo test) {
        containers.forEach(Engine::remove);
        if (tether != null) {
            tether.close();
            System.out.println("[tether log, " + test.getDisplayName() + "]\n" + tether.log());
        }
        ReapKit.deleteTree(dir);
    }

    @AfterAll
    static void cleanup() {
        Engine.cleanup();
    }

    @Test
    void aHeldJournalLockHoldsUpNoRequestAndTheRecordsFollowInOrderOnceItIsReleased() throws IOException {
        Path journal = dir.resolve("audit.jsonl");
        String mark = Engine.name("journal-lock");
        Instant since = Instant.now();
        int recordsWhileHeld;
        // The journal's lock file, audit.jsonl.lock beside it: tether opens the same file and waits on its lock.
        try (FileChannel lockFile = FileChannel.open(journal.resolveSibling("audit.jsonl.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = lockFile.lock()) {
            long heldFrom = System.nanoTime();
            tether = ReapKit.Tether.up(dir.resolve("d.sock"), "--audit-log", journal.toString());
            // One connection, so one event loop: a journal write on it would hold up each next request.
            try (RawHttp http = RawHttp.connect(tether.socket)) {
                for (int i = 0; i < CONTAINERS; i++) {
                    String name = Engine.name("journal-lock");
                    ObjectNode spec = Engine.containerSpec("true");
                    spec.with("Labels").put(MARK, mark);
                    RawHttp.Response created = http.exchange(RawHttp.request("POST", "/containers/create?name="
                            + Engine.encode(name)).json(spec.toString()));
                    assertThat(created.status()).as("create %d while the journal is locked: %s", i, created)
                            .isEqualTo(201);
                    String id = created.json().path("Id").asText();
                    containers.add(id);
                    // a cheap request right after the create: the engine says when each of the two reached it
                    RawHttp.Response renamed = http.exchange(RawHttp.request("POST", "/containers/" + id
                            + "/rename?name=" + Engine.encode(name + "-renamed")));
                    assertThat(renamed.status()).as("rename %d: %s", i, renamed).isEqualTo(204);
                    RawHttp.Response started = http.exchange(RawHttp.request("POST", "/containers/" + id + "/start"));
                    assertThat(started.status()).as("start %d: %s", i, started).isEqualTo(204);
                }
            }
            recordsWhileHeld = AuditItJournal.records(journal).size();
            double heldSeconds = (System.nanoTime() - heldFrom) / 1e9;
            System.out.printf("[journal lock] %d creates, renames and starts answered in %.1f s of the lock held;"
                    + " %d records written meanwhile%n", CONTAINERS, heldSeconds, recordsWhileHeld);
            // Each write waits out the lock wait, one after another: else the lock held here was not tether's.
            assertThat(recordsWhileHeld).as("records written in %.1f s with the journal's lock held", heldSeconds)
                    .isLessThanOrEqualTo((int) (heldSeconds / LOCK_WAIT.toSeconds()) + 1);
        }

        // The engine's own clock, so that how fast the engine is does not count: from the create event (sent
        // before the engine answered) to the rename (sent by the client once it had the answer). A journal write
        // on the event loop would sit between the two, for the whole lock wait, every time.
        Map<String, Long> gapMillis = createToRenameMillis(mark, since, JOURNAL_WAIT);
        System.out.println("[journal lock] engine time from each create to the next request, ms: " + gapMillis);
        assertThat(gapMillis).as("the engine saw every create and rename").hasSize(CONTAINERS);
        List<Long> sorted = gapMillis.values().stream().sorted().toList();
        assertThat(sorted.get(CONTAINERS / 2)).as("median ms from a create to the client's next request; a journal"
                + " write waiting on the lock in between takes %d ms", LOCK_WAIT.toMillis())
                .isLessThan(LOCK_WAIT.toMillis());

        // Released: every record follows, none dropped, in the order it happened.
        for (String id : containers) {
            AuditItJournal.awaitStory(journal, id, JOURNAL_WAIT, "create", "start");
        }
        List<JsonNode> records = AuditItJournal.records(journal);
        System.out.println("[journal lock] after the release:\n" + AuditItJournal.describe(records));
        assertThat(positions(records, "create")).as("the creates, in the order they were made").isSorted();
        assertThat(positions(records, "start")).as("the starts, in the order they were made").isSorted();
        for (String id : containers) {
            List<String> story = AuditItJournal.story(journal, id).stream().map(r -> r.path("event").asText())
                    .toList();
            assertThat(story).as("the story of %s", id).containsSubsequence("create", "start");
            assertThat(story.stream().filter("create"::equals)).as("one create record for %s", id).hasSize(1);
        }
        assertThat(metrics()).as("the journal dropped nothing")
                .containsPattern("(?m)^tether_journal_dropped_records 0\\.0$");
    }

    /** Where each container's {@code event} record is in the journal, the containers in the order they were made. */
    private List<Integer> positions(List<JsonNode> records, String event) {
        List<Integer> at = new ArrayList<>();
        for (String id : containers) {
            for (int i = 0; i < records.size(); i++) {
                if (records.get(i).path("container").asText().equals(id)
                        && records.get(i).path("event").asText().equals(event)) {
                    at.add(i);
                    break;
                }
            }
        }
        assertThat(at).as("a %s record for each container", event).hasSize(containers.size());
        return at;
    }

    /** Per container, the engine's milliseconds from its create event to its rename event; polls until all are told. */
    private static Map<String, Long> createToRenameMillis(String mark, Instant since, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, Long> gaps = createToRenameMillis(mark, since);
            if (gaps.size() >= CONTAINERS || System.nanoTime() > end) {
                return gaps;
            }
            Engine.pause();
        }
    }

    private static Map<String, Long> createToRenameMillis(String mark, Instant since) {
        String filters = Engine.encode("{\"label\":[\"" + MARK + "=" + mark + "\"],\"event\":[\"create\",\"rename\"],"
                + "\"type\":[\"container\"]}");
        RawHttp.Response events = Engine.call("GET", "/events?since=" + since.getEpochSecond() + "&until="
                + (Instant.now().getEpochSecond() + 1) + "&filters=" + filters);
        assertThat(events.status()).as(events.toString()).isEqualTo(200);
        Map<String, Long> created = new HashMap<>();
        Map<String, Long> gaps = new HashMap<>();
        try (var values = RawHttp.JSON.readValues(RawHttp.JSON.createParser(events.body()), JsonNode.class)) {
            values.forEachRemaining(e -> {
                String id = e.path("id").asText();
                long at = e.path("timeNano").asLong();
                switch (e.path("Action").asText()) {
                    case "create" -> created.put(id, at);
                    case "rename" -> {
                        if (created.containsKey(id)) {
                            gaps.put(id.substring(0, 12), (at - created.get(id)) / 1_000_000);
                        }
                    }
                    default -> { }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gaps;
    }

    private String metrics() {
        try (RawHttp http = RawHttp.connect(dir.resolve("d.sock.control"))) {
            RawHttp.Response r = http.exchange(RawHttp.request("GET", "/metrics"));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            return r.text();
        }
    }
}
