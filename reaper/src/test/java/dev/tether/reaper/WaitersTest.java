package dev.tether.reaper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.ProcessId;
import org.junit.jupiter.api.Test;

class WaitersTest {

    private static final ProcessId HOST = new ProcessId(100, 5000, "/usr/bin/claude");
    private static final ProcessId CLI = new ProcessId(200, 6000, "/usr/bin/docker");

    @Test
    void aProcessIsWatchedOnceHoweverManyContainersItTies() {
        Waiters waiters = new Waiters();
        assertThat(waiters.add(HOST, "c1")).as("the first container: watch the host").isTrue();
        for (int i = 2; i <= 1000; i++) {
            assertThat(waiters.add(HOST, "c" + i)).as("container %d: the host is watched already", i).isFalse();
        }
        assertThat(waiters.add(CLI, "c1")).as("another process: a watch of its own").isTrue();
        assertThat(waiters.size()).isEqualTo(1001);
    }

    @Test
    void containersThatAreGoneStopWaitingSoALongLivedProcessKeepsNothingOfThem() {
        Waiters waiters = new Waiters();
        for (int i = 0; i < 10_000; i++) {
            waiters.add(HOST, "c" + i);
            waiters.add(CLI, "c" + i);
            waiters.forget("c" + i);
        }
        assertThat(waiters.size()).as("containers still waiting after every one of them was removed").isZero();
        assertThat(waiters.add(HOST, "last")).as("the host's watch is still there").isFalse();
        assertThat(waiters.ended(HOST)).containsExactly("last");
    }

    @Test
    void aProcessEndHandsOutItsWaitersOnceAndALaterAddWatchesAgain() {
        Waiters waiters = new Waiters();
        waiters.add(HOST, "a");
        waiters.add(HOST, "b");
        waiters.add(CLI, "b");
        assertThat(waiters.ended(HOST)).containsExactlyInAnyOrder("a", "b");
        assertThat(waiters.ended(HOST)).as("a second notice of the same end").isEmpty();
        assertThat(waiters.ended(CLI)).containsExactly("b");
        // a container learnt after its process's watch fired: watched anew, and the watcher says at once it is gone
        assertThat(waiters.add(HOST, "c")).isTrue();
        assertThat(waiters.size()).isEqualTo(1);
    }
}
