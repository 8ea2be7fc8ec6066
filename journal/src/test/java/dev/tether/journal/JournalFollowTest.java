package dev.tether.journal;

import static dev.tether.journal.JournalWriterTest.ID;
import static dev.tether.journal.JournalWriterTest.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Following the journal: the records there, then each new one, once, in order, across rotations. */
@Timeout(60)
class JournalFollowTest {

    @TempDir
    Path dir;

    private final BlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
    private final List<JournalReader.Unreadable> unreadable = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final AtomicReference<Throwable> ended = new AtomicReference<>();
    private Thread follower;

    @AfterEach
    void stop() throws InterruptedException {
        if (follower != null) {
            follower.interrupt();
            follower.join(Duration.ofSeconds(10));
        }
    }

    private void follow(Path path, Duration interval) {
        follower = Thread.ofPlatform().name("audit-follow").start(() -> {
            try {
                JournalReader.follow(path, interval, new JournalReader.Listener() {
                    @Override
                    public void line(JournalReader.Line line) {
                        seen.add(line.json().path("seq").asInt());
                    }

                    @Override
                    public void unreadable(JournalReader.Unreadable where) {
                        unreadable.add(where);
                    }

                    @Override
                    public void caughtUp() {
                        caughtUp.countDown();
                    }
                });
            } catch (Throwable t) {
                ended.set(t);
            }
        });
    }

    private List<Integer> take(int n) throws InterruptedException {
        List<Integer> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (got.size() < n && System.nanoTime() < deadline) {
            Integer seq = seen.poll(50, TimeUnit.MILLISECONDS);
            if (seq != null) {
                got.add(seq);
            }
        }
        return got;
    }

    @Test
    void theRecordsThereComeFirstThenNewOnesAcrossRotationsEachOnce() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new JournalWriter(path, 3000, 1000, Clock.systemUTC())) {
            for (int seq = 0; seq < 50; seq++) {
                journal.record("create", ID, JSON.createObjectNode().put("seq", seq));
            }
            follow(path, Duration.ofMillis(200));
            assertThat(caughtUp.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(take(50)).containsExactlyElementsOf(IntStream.range(0, 50).boxed().toList());

            // One at a time: each new one is seen before the next is written.
            for (int seq = 50; seq < 55; seq++) {
                journal.record("start", ID, JSON.createObjectNode().put("seq", seq));
                assertThat(take(1)).containsExactly(seq);
            }
            // A burst that rotates the file many times between two polls.
            for (int seq = 55; seq < 2000; seq++) {
                journal.record("attach", ID, JSON.createObjectNode().put("seq", seq).put("pad", "p".repeat(seq % 300)));
            }
            assertThat(take(1945)).containsExactlyElementsOf(IntStream.range(55, 2000).boxed().toList());
        }
        assertThat(seen.poll(500, TimeUnit.MILLISECONDS)).as("nothing twice").isNull();
        assertThat(unreadable).isEmpty();

        follower.interrupt();
        follower.join(Duration.ofSeconds(10));
        assertThat(follower.isAlive()).isFalse();
        assertThat(ended.get()).isInstanceOf(InterruptedException.class);
    }

    @Test
    void aJournalNotThereYetIsWaitedFor() throws Exception {
        Path path = dir.resolve("state/tether/audit.jsonl");
        follow(path, Duration.ofMillis(20));
        assertThat(caughtUp.await(10, TimeUnit.SECONDS)).isTrue();

        try (var journal = new JournalWriter(path)) {
            journal.record("create", ID, JSON.createObjectNode().put("seq", 0));
            journal.record("start", ID, JSON.createObjectNode().put("seq", 1));
        }

        assertThat(take(2)).containsExactly(0, 1);
    }

    @Test
    void aLineIsPassedOnOnlyOnceItIsWholeAndGarbageIsReported() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        Files.writeString(path, "{\"seq\":0}\n");
        follow(path, Duration.ofMillis(20));
        assertThat(take(1)).containsExactly(0);

        Files.writeString(path, "{\"seq\":", StandardOpenOption.APPEND);
        assertThat(seen.poll(300, TimeUnit.MILLISECONDS)).isNull();
        Files.writeString(path, "1}\nnot a record\n{\"seq\":2}\n", StandardOpenOption.APPEND);

        assertThat(take(2)).containsExactly(1, 2);
        assertThat(unreadable).extracting(JournalReader.Unreadable::line).containsExactly(3L);
    }
}
