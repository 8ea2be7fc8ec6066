package dev.tether.journal;

import static dev.tether.journal.JournalWriterTest.ID;
import static dev.tether.journal.JournalWriterTest.JSON;
import static dev.tether.journal.JournalWriterTest.allRecords;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A journal that cannot be written costs records, never tether: one warning, a count, and a return. */
class JournalFailureTest {

    @TempDir
    Path dir;

    private final Logger logger = (Logger) LoggerFactory.getLogger(JournalWriter.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(logged);
    }

    private List<String> messages(Level level) {
        return logged.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void anUnwritablePlaceDropsAndCountsRecordsWithOneWarningThenResumesWithTheCount() throws Exception {
        // Tests run as root, for whom a mode of 0500 stops nothing: a file where the directory should be does.
        Path blocker = dir.resolve("state");
        Files.writeString(blocker, "a file where the journal's directory should be");
        Path path = blocker.resolve("tether/audit.jsonl");

        try (var journal = new JournalWriter(path)) {
            for (int i = 0; i < 3; i++) {
                journal.record("reap", ID, JSON.createObjectNode().put("seq", i));
            }
            assertThat(journal.dropped()).isEqualTo(3);
            assertThat(messages(Level.WARN)).singleElement().asString()
                    .startsWith("audit journal " + path + " is not writable (")
                    .endsWith("): records are being dropped; tether keeps relaying and reaping");

            Files.delete(blocker);
            journal.record("reap", ID, JSON.createObjectNode().put("seq", 3));
            journal.record("destroy", ID, JSON.createObjectNode().put("seq", 4));

            assertThat(journal.dropped()).isEqualTo(3);
            assertThat(messages(Level.INFO)).singleElement().asString()
                    .isEqualTo("audit journal " + path + " is writable again: 3 records were dropped meanwhile");
            assertThat(allRecords(path)).extracting(r -> r.path("seq").asInt()).containsExactly(3, 4);

            // A second outage warns again, once.
            deleteTree(blocker);
            Files.writeString(blocker, "blocked again");
            journal.record("reap", ID, null);
            journal.record("reap", ID, null);
            assertThat(journal.dropped()).isEqualTo(5);
            assertThat(messages(Level.WARN)).hasSize(2);
        }
    }

    @Test
    void aDeletedDirectoryIsMadeAgainAndNoRecordIsLost() throws Exception {
        Path path = dir.resolve("state/tether/audit.jsonl");
        try (var journal = new JournalWriter(path)) {
            journal.record("create", ID, JSON.createObjectNode().put("seq", 0));
            deleteTree(dir.resolve("state"));
            journal.record("start", ID, JSON.createObjectNode().put("seq", 1));

            assertThat(journal.dropped()).isZero();
            assertThat(allRecords(path)).extracting(r -> r.path("seq").asInt()).containsExactly(1);
            assertThat(messages(Level.WARN)).isEmpty();
        }
    }

    @Test
    void aFullDiskDropsRecordsLeavesNoPartOfOneAndResumesWhenThereIsRoomAgain() throws Exception {
        Path mount = Files.createTempDirectory("tether-audit-tmpfs");
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString());
        try {
            assertThat(mounted).as("mounting a 64 KiB tmpfs (the suite runs as root, as CI does)").isTrue();
            Path filler = mount.resolve("filler");
            Files.write(filler, new byte[16 * 1024]);
            Path path = mount.resolve("tether/audit.jsonl");
            try (var journal = new JournalWriter(path, 1024 * 1024, 1, Clock.systemUTC())) {
                int seq = 0;
                while (journal.dropped() == 0 && seq < 10_000) {
                    // about 1.3 KiB a record: most fill one page and start the next
                    journal.record("attach", ID, JSON.createObjectNode().put("seq", seq++).put("pad", "f".repeat(1300)));
                }
                assertThat(journal.dropped()).as("the disk filled up").isEqualTo(1);
                // The part of it written was cut off again: the next one of that size fits no better.
                journal.record("attach", ID, JSON.createObjectNode().put("seq", seq++).put("pad", "f".repeat(1300)));
                journal.record("attach", ID, JSON.createObjectNode().put("seq", seq++).put("pad", "f".repeat(9000)));
                assertThat(journal.dropped()).isGreaterThanOrEqualTo(2);
                long droppedWhileFull = journal.dropped();
                assertThat(messages(Level.WARN)).singleElement().asString().contains("No space left on device");
                assertThat(Files.readString(path, StandardCharsets.UTF_8)).as("no part of a dropped record")
                        .endsWith("}\n");
                List<Integer> written = allRecords(path).stream().map(r -> r.path("seq").asInt()).toList();

                Files.delete(filler);
                journal.record("destroy", ID, JSON.createObjectNode().put("seq", seq));

                assertThat(journal.dropped()).isEqualTo(droppedWhileFull);
                assertThat(messages(Level.INFO)).singleElement().asString()
                        .isEqualTo("audit journal " + path + " is writable again: " + droppedWhileFull
                                + " records were dropped meanwhile");
                List<Integer> after = allRecords(path).stream().map(r -> r.path("seq").asInt()).toList();
                assertThat(after.subList(0, written.size())).isEqualTo(written);
                assertThat(after.getLast()).isEqualTo(seq);
            }
        } finally {
            if (mounted) {
                run("umount", mount.toString());
            }
            deleteTree(mount);
        }
    }

    @Test
    void aRecordCutOffByAKilledWriterIsRemovedBeforeTheNextOneIsAppended() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        Files.writeString(path, "{\"time\":\"2026-11-21T08:30:01.000Z\",\"event\":\"create\",\"seq\":0}\n"
                + "{\"time\":\"2026-11-21T08:30:01.001Z\",\"event\":\"sta");

        try (var journal = new JournalWriter(path)) {
            journal.record("start", ID, JSON.createObjectNode().put("seq", 1));
        }

        assertThat(allRecords(path)).extracting(r -> r.path("seq").asInt()).containsExactly(0, 1);
        assertThat(messages(Level.WARN)).singleElement().asString()
                .isEqualTo("audit journal " + path + " ended in 47 bytes of a record cut off by a crash: removed them");
    }

    @Test
    void recordsAfterCloseAreCountedAsDropped() {
        var journal = new JournalWriter(dir.resolve("audit.jsonl"));
        journal.record("create", ID, null);
        journal.close();
        journal.record("start", ID, null);

        assertThat(journal.dropped()).isEqualTo(1);
    }

    @Test
    void anInterruptedCallerStillGetsItsRecordWrittenAndKeepsItsInterrupt() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new JournalWriter(path)) {
            Thread.currentThread().interrupt();
            journal.record("kill", ID, JSON.createObjectNode().put("signal", "SIGKILL"));
            assertThat(Thread.interrupted()).isTrue();
            journal.record("destroy", ID, null);
            assertThat(journal.dropped()).isZero();
        }
        assertThat(Files.readAllLines(path)).hasSize(2);
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ok = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!ok) {
            System.err.println(String.join(" ", command) + ": " + output);
        }
        return ok;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
