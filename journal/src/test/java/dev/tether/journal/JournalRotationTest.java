package dev.tether.journal;

import static dev.tether.journal.JournalWriterTest.ID;
import static dev.tether.journal.JournalWriterTest.JSON;
import static dev.tether.journal.JournalWriterTest.allRecords;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation by size, and many writers at once: only whole lines, nothing lost that `keep` allows to keep. */
class JournalRotationTest {

    @TempDir
    Path dir;

    @Test
    void rotationNeverSplitsARecordAndLosesNoneWhileKeepAllows() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        long maxBytes = 2000;
        Random random = new Random(42);
        try (var journal = new JournalWriter(path, maxBytes, 1000, Clock.systemUTC())) {
            for (int seq = 0; seq < 1000; seq++) {
                // mostly lines of 100 to 800 bytes, some larger than a whole file, some non-ASCII
                int pad = seq % 97 == 0 ? 3000 : random.nextInt(0, 700);
                journal.record("attach", ID, JSON.createObjectNode().put("seq", seq)
                        .put("pad", (seq % 5 == 0 ? "é" : "x").repeat(pad)));
            }
            assertThat(journal.dropped()).isZero();
        }

        List<JsonNode> records = allRecords(path);
        assertThat(records).extracting(r -> r.path("seq").asInt()).containsExactlyElementsOf(IntStream.range(0, 1000).boxed().toList());
        List<Path> rotated = JournalFiles.rotatedOldestFirst(path);
        assertThat(rotated.size()).isGreaterThan(100);
        for (Path file : rotated) {
            long lines = Files.readString(file).lines().count();
            assertThat(Files.size(file) <= maxBytes || lines == 1)
                    .as("%s: %d bytes in %d lines", file, Files.size(file), lines).isTrue();
        }
    }

    @Test
    void onlyKeepOldFilesAreKeptAndTheNewestRecordsAreTheOnesLeft() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        Files.writeString(JournalFiles.rotated(path, 7), "{\"from\":\"a larger keep before\"}\n");
        try (var journal = new JournalWriter(path, 1000, 3, Clock.systemUTC())) {
            for (int seq = 0; seq < 500; seq++) {
                journal.record("start", ID, JSON.createObjectNode().put("seq", seq));
            }
        }

        assertThat(JournalFiles.rotatedOldestFirst(path)).containsExactly(
                JournalFiles.rotated(path, 3), JournalFiles.rotated(path, 2), JournalFiles.rotated(path, 1));
        List<Integer> seqs = allRecords(path).stream().map(r -> r.path("seq").asInt()).toList();
        assertThat(seqs.getLast()).isEqualTo(499);
        assertThat(seqs).containsExactlyElementsOf(IntStream.rangeClosed(seqs.getFirst(), 499).boxed().toList());
        assertThat(seqs.getFirst()).isGreaterThan(0);
    }

    @Test
    void eightThreadsWritingAThousandRecordsEachLeaveOnlyWholeLinesAndEveryRecord() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        int threads = 8;
        int each = 1000;
        CountDownLatch go = new CountDownLatch(1);
        try (var journal = new JournalWriter(path, 64 * 1024, 10_000, Clock.systemUTC());
             ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        journal.record("attach", ID, JSON.createObjectNode().put("thread", thread).put("i", i)
                                .put("pad", "z".repeat((thread * 131 + i * 17) % 600)));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
            assertThat(journal.dropped()).isZero();
        }

        List<JsonNode> records = allRecords(path);
        assertThat(records).hasSize(threads * each);
        Map<Integer, List<Integer>> byThread = new HashMap<>();
        for (JsonNode r : records) {
            byThread.computeIfAbsent(r.path("thread").asInt(), k -> new ArrayList<>()).add(r.path("i").asInt());
        }
        assertThat(byThread).hasSize(threads);
        byThread.values().forEach(seen ->
                assertThat(seen).as("each thread's records once, in its order")
                        .containsExactlyElementsOf(IntStream.range(0, each).boxed().toList()));
        List<String> times = records.stream().map(r -> r.path("time").asText()).toList();
        assertThat(times).as("the file is in time order").isSorted();
    }

    @Test
    void twoJournalObjectsOnOneFileRotateItOnceAndLoseNothing() throws Exception {
        // Two tethers sharing the default journal: here two objects, which take the same lock in turn.
        Path path = dir.resolve("audit.jsonl");
        try (var a = new JournalWriter(path, 1500, 10_000, Clock.systemUTC());
             var b = new JournalWriter(path, 1500, 10_000, Clock.systemUTC());
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<?> fa = pool.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    a.record("start", ID, JSON.createObjectNode().put("writer", "a").put("i", i));
                }
            });
            Future<?> fb = pool.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    b.record("start", ID, JSON.createObjectNode().put("writer", "b").put("i", i));
                }
            });
            fa.get();
            fb.get();
        }

        List<JsonNode> records = allRecords(path);
        assertThat(records).hasSize(1000);
        for (String writer : List.of("a", "b")) {
            assertThat(records.stream().filter(r -> r.path("writer").asText().equals(writer))
                    .map(r -> r.path("i").asInt())).containsExactlyElementsOf(IntStream.range(0, 500).boxed().toList());
        }
        for (Path file : JournalFiles.rotatedOldestFirst(path)) {
            assertThat(Files.size(file)).as("%s", file).isLessThanOrEqualTo(1500);
        }
    }
}
