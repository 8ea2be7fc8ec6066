package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.labeler.ProcessId;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ProcessWatcher} promises, whichever way it learns of a death: each watch fires once, promptly for
 * a process that is gone, reused or a zombie, and no failing action stops the others. Subclasses say how quickly a
 * process that is not this JVM's child is noticed.
 */
abstract class ProcessWatcherContract {

    static final Duration PROMPT = Duration.ofMillis(250);

    final Children children = new Children();
    final ProcessWatcher watcher = newWatcher();

    abstract ProcessWatcher newWatcher();

    /** How long a kill of a process this JVM did not start may take to be noticed. */
    abstract Duration noticeOfAProcessNotOurs();

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

        notice.assertWithin(PROMPT, killed, "kill -9 of a child");
        assertThat(notice.thread.get()).isEqualTo("tether-process-watch");
    }

    @Test
    void killOfAProcessNotOursIsNoticed() throws Exception {
        // What tether really watches: a process it did not start, so no waitpid to help.
        Process shell = children.start("sh", "-c", "sleep 60 & echo $!; wait");
        ProcessId grandchild = Processes.identify(Long.parseLong(Children.firstLine(shell).strip()));
        Notice notice = new Notice();
        watcher.onExit(grandchild, notice);

        long killed = System.nanoTime();
        ProcessHandle.of(grandchild.pid()).orElseThrow().destroyForcibly();

        notice.assertWithin(noticeOfAProcessNotOurs(), killed, "kill -9 of a grandchild");
    }

    @Test
    void goneReusedOrZombieFiresAtOnce() throws Exception {
        Process reaped = children.start("sleep", "60");
        ProcessId gone = children.identify(reaped);
        reaped.destroyForcibly().waitFor(); // reaped: no such process any more
        ProcessId running = children.startSleep();
        ProcessId reused = new ProcessId(running.pid(), running.startTicks() - 1, running.exe());
        Notice forRunning = new Notice();
        watcher.onExit(running, forRunning);
        ProcessId zombie = children.zombie();

        for (ProcessId process : List.of(gone, reused, zombie)) {
            Notice notice = new Notice();
            long watched = System.nanoTime();
            watcher.onExit(process, notice);
            notice.assertWithin(PROMPT, watched, "watch of a gone, reused or zombie process: " + process);
        }
        assertThat(Processes.liveness(running)).isEqualTo(Liveness.ALIVE);
        assertThat(forRunning.ran()).as("the watch of the pid's new, running process").isFalse();
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
        Notice fromAnotherThread = new Notice();
        watcher.onExit(id, first);
        watcher.onExit(id, second);
        Thread.ofPlatform().start(() -> watcher.onExit(id, fromAnotherThread)).join();

        child.destroyForcibly();
        for (Notice notice : List.of(first, second, fromAnotherThread)) {
            notice.awaitDelayMillis(System.nanoTime());
        }
        Process next = children.start("sleep", "60");
        Notice nextProcess = new Notice();
        watcher.onExit(children.identify(next), nextProcess);
        long killed = System.nanoTime();
        next.destroyForcibly();
        nextProcess.assertWithin(PROMPT, killed, "kill -9 after a failed action");

        assertThat(Stream.of(first, second, fromAnotherThread).mapToInt(n -> n.runs.get())).containsOnly(1);
    }

    @Test
    void unknownProcessIsRefusedAndClosedWatcherToo() {
        assertThatThrownBy(() -> watcher.onExit(ProcessId.UNKNOWN, () -> {})).isInstanceOf(IllegalArgumentException.class);
        watcher.close();
        assertThatThrownBy(() -> watcher.onExit(Processes.self(), () -> {})).isInstanceOf(IllegalStateException.class);
    }
}
