package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.ProcessId;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stdin hangup watch and pid-safe signals, on real child processes. */
class HangupWatcherTest {

    private final Children children = new Children();
    private final HangupWatcher watcher = HangupWatcher.open();

    @AfterEach
    void close() {
        watcher.close();
        children.close();
    }

    @Test
    void closingTheOnlyWriterOfAChildsStdinPipeFiresOnceAndWritesDoNot() throws Exception {
        Process child = children.start("sleep", "60"); // its stdin: a pipe whose one writer is this JVM
        ProcessId id = children.identify(child);
        CountDownLatch hangup = new CountDownLatch(1);
        assertThat(watcher.onStdinHangup(id, hangup::countDown)).as("why not watched").isEmpty();

        child.getOutputStream().write("data the child never reads\n".getBytes());
        child.getOutputStream().flush();
        assertThat(hangup.await(300, TimeUnit.MILLISECONDS)).as("fired on data, not on a hangup").isFalse();

        long closed = System.nanoTime();
        child.getOutputStream().close();
        assertThat(hangup.await(5, TimeUnit.SECONDS)).as("fired on the last writer's close").isTrue();
        System.out.printf("stdin closed → hangup noticed: %d ms%n", (System.nanoTime() - closed) / 1_000_000);
        assertThat(Processes.isAlive(id)).as("the child itself untouched").isTrue();
    }

    @Test
    void aStdinThatIsNoPipeOrSocketIsSaidSo() {
        Process child = children.start("sh", "-c", "exec sleep 60 </dev/null");
        ProcessId id = children.identify(child);
        // an empty command line while sh is between fork and exec: not yet
        Children.await("the redirect", () -> Processes.commandLine(id.pid()).stream().findFirst().orElse("").equals("sleep"));
        assertThat(watcher.onStdinHangup(id, () -> {})).get().asString().contains("/dev/null");
    }

    @Test
    void signalsReachTheProcessAndNeverAPidReused() throws Exception {
        Process child = children.start("sleep", "60");
        ProcessId id = children.identify(child);
        ProcessId sameNumberOtherStart = new ProcessId(id.pid(), id.startTicks() - 1, "");
        assertThat(Signals.send(sameNumberOtherStart, Libc.SIGKILL)).isEqualTo(Signals.Outcome.GONE);
        assertThat(child.isAlive()).as("another start time: not signalled").isTrue();

        assertThat(Signals.send(id, Libc.SIGTERM)).isEqualTo(Signals.Outcome.SENT);
        assertThat(child.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed by SIGTERM").isEqualTo(128 + 15);
        assertThat(Signals.send(id, Libc.SIGKILL)).isEqualTo(Signals.Outcome.GONE);
    }
}
