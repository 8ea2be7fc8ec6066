package dev.tether.reaper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.labeler.ProcessId;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fallback where pidfds do not work: right, only slower. */
class PolledWatcherTest {

    private static final Duration PROMPT = Duration.ofMillis(250);
    /** The JDK polls a process not its child after 300 ms, then every 330, 360, ... ms. */
    private static final Duration POLLED = Duration.ofSeconds(2);

    private final Children children = new Children();
    private final PolledWatcher watcher = new PolledWatcher();

    @AfterEach
    void tearDown() {
        watcher.close();
        children.close();
    }

    @Test
    void killOfAChildIsNoticedAtOnce() throws Exception {
        Process child = children.start("sleep", "60");
        Notice notice = new Notice();
        watcher.onExit(children.identify(child), notice);

        long killed = System.nanoTime();
        child.destroyForcibly();

        notice.assertWithin(PROMPT, killed, "polled: kill -9 of a child (the JDK waits on it)");
        assertThat(notice.thread.get()).isEqualTo("tether-process-watch");
    }

    @Test
    void killOfAProcessNotOursIsNoticedByPolling() throws Exception {
        Process shell = children.start("sh", "-c", "sleep 60 & echo $!; wait");
        ProcessId grandchild = Processes.identify(Long.parseLong(Children.firstLine(shell).strip()));
        Notice notice = new Notice();
        watcher.onExit(grandchild, notice);

        long killed = System.nanoTime();
        ProcessHandle.of(grandchild.pid()).orElseThrow().destroyForcibly();

        notice.assertWithin(POLLED, killed, "polled: kill -9 of a grandchild (the JDK polls)");
    }

    @Test
    void goneReusedOrZombieFiresAtOnce() throws Exception {
        Process reaped = children.start("sleep", "60");
        ProcessId gone = children.identify(reaped);
        reaped.destroyForcibly().waitFor();
        ProcessId running = children.startSleep();
        ProcessId reused = new ProcessId(running.pid(), running.startTicks() - 1, "");
        ProcessId zombie = children.zombie();

        for (ProcessId process : new ProcessId[] {gone, reused, zombie}) {
            Notice notice = new Notice();
            long watched = System.nanoTime();
            watcher.onExit(process, notice);
            notice.assertWithin(PROMPT, watched, "polled: watch of a gone, reused or zombie process");
        }
        assertThat(Processes.liveness(running)).isEqualTo(Liveness.ALIVE);
    }

    @Test
    void everyActionRunsOnceAndAFailureStopsNothing() throws Exception {
        Process child = children.start("sleep", "60");
        ProcessId id = children.identify(child);
        watcher.onExit(id, () -> {
            throw new IllegalStateException("expected by the test: an action that fails");
        });
        Notice first = new Notice();
        Notice second = new Notice();
        watcher.onExit(id, first);
        watcher.onExit(id, second);

        child.destroyForcibly();
        first.awaitDelayMillis(System.nanoTime());
        second.awaitDelayMillis(System.nanoTime());

        assertThat(first.runs.get()).isEqualTo(1);
        assertThat(second.runs.get()).isEqualTo(1);
    }

    @Test
    void unknownProcessIsRefusedAndClosedWatcherToo() {
        assertThatThrownBy(() -> watcher.onExit(ProcessId.UNKNOWN, () -> {})).isInstanceOf(IllegalArgumentException.class);
        watcher.close();
        assertThatThrownBy(() -> watcher.onExit(Processes.self(), () -> {})).isInstanceOf(IllegalStateException.class);
    }
}
