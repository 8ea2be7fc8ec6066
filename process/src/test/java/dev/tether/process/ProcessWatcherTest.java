package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.labeler.ProcessId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The watcher {@link ProcessWatcher#create()} picks on this machine: pidfds, so notice within milliseconds. */
class ProcessWatcherTest extends ProcessWatcherContract {

    @Override
    ProcessWatcher newWatcher() {
        return ProcessWatcher.create();
    }

    @Override
    Duration noticeOfAProcessNotOurs() {
        return PROMPT;
    }

    @Test
    void usesPidfds() {
        assertThat(watcher).isInstanceOf(PidfdWatcher.class);
    }

    @Test
    void processIgnoringSigtermIsWatchedUntilSigkill() throws Exception {
        Process child = children.start("sh", "-c", "trap '' TERM; sleep 60");
        ProcessId id = children.identify(child);
        Children.await("the TERM trap", () -> Children.ignoresSigterm(id.pid()));
        Notice notice = new Notice();
        watcher.onExit(id, notice);

        child.destroy(); // SIGTERM: an ignored signal is discarded as it is sent, so nothing is pending after this
        assertThat(Processes.liveness(id)).isEqualTo(Liveness.ALIVE);
        roundTrip();
        assertThat(notice.ran()).as("action run for a live process").isFalse();

        long killed = System.nanoTime();
        child.destroyForcibly();
        notice.assertWithin(PROMPT, killed, "kill -9 after an ignored SIGTERM");
    }

    @Test
    void twoHundredProcessesAllFire() throws Exception {
        // Started by one shell, like the owners tether watches: not this JVM's children, so 200 JDK reaper threads
        // do not compete with the watch for the CPU.
        int count = 200;
        Process shell = children.start("sh", "-c", "for i in $(seq " + count + "); do sleep 60 & echo $!; done; wait");
        BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8));
        List<ProcessHandle> processes = new ArrayList<>();
        List<Notice> notices = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long pid = Long.parseLong(out.readLine().strip());
            Notice notice = new Notice();
            watcher.onExit(Processes.identify(pid), notice);
            processes.add(ProcessHandle.of(pid).orElseThrow());
            notices.add(notice);
        }
        roundTrip();
        assertThat(notices).noneMatch(Notice::ran);

        long[] killed = new long[count];
        for (int i = 0; i < count; i++) {
            killed[i] = System.nanoTime();
            processes.get(i).destroyForcibly();
        }

        long[] delays = new long[count];
        for (int i = 0; i < count; i++) {
            delays[i] = notices.get(i).awaitDelayMillis(killed[i]);
        }
        Arrays.sort(delays);
        System.out.printf("[notice-delay] 200 at once: median %d ms, max %d ms%n", delays[count / 2], delays[count - 1]);
        assertThat(delays[count - 1]).as("slowest of 200 notices, ms").isLessThan(PROMPT.toMillis());
        assertThat(notices).allMatch(notice -> notice.runs.get() == 1);
    }

    @Test
    void closeStopsTheThreadAndReleasesEveryDescriptor() throws Exception {
        watcher.close(); // the one made per test: only this test's own watcher counts below
        long before = anonymousDescriptors();
        ProcessWatcher own = ProcessWatcher.create();
        Thread watchThread = watchThread(own);
        Notice notice = new Notice();
        for (int i = 0; i < 5; i++) {
            own.onExit(children.startSleep(), notice);
        }
        assertThat(anonymousDescriptors()).isEqualTo(before + 2 + 5); // epoll, eventfd, a pidfd per process

        own.close();

        assertThat(watchThread.isAlive()).isFalse();
        assertThat(anonymousDescriptors()).isEqualTo(before);
        assertThatThrownBy(() -> own.onExit(Processes.self(), () -> {})).isInstanceOf(IllegalStateException.class);
        assertThat(notice.ran()).isFalse();
    }

    /**
     * Returns once the watch thread has gone round its loop after this call: any process exit the kernel had
     * reported by now has been acted on. (An action due at once is run after the exits seen in the same wake-up.)
     */
    private void roundTrip() throws InterruptedException {
        ProcessId self = Processes.self();
        CountDownLatch done = new CountDownLatch(1);
        watcher.onExit(new ProcessId(self.pid(), self.startTicks() - 1, ""), done::countDown);
        assertThat(done.await(10, TimeUnit.SECONDS)).as("watch thread round trip").isTrue();
    }

    private static Thread watchThread(ProcessWatcher watcher) throws InterruptedException {
        AtomicReference<Thread> thread = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        ProcessId self = Processes.self();
        watcher.onExit(new ProcessId(self.pid(), self.startTicks() - 1, ""), () -> {
            thread.set(Thread.currentThread());
            done.countDown();
        });
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        return thread.get();
    }

    /** This JVM's pidfds, epoll sets and eventfds. */
    private static long anonymousDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                        try {
                            return Files.readSymbolicLink(fd).toString();
                        } catch (IOException e) {
                            return ""; // the directory's own descriptor, closed by now
                        }
                    })
                    .filter(target -> target.equals("anon_inode:[pidfd]") || target.equals("anon_inode:[eventpoll]")
                            || target.equals("anon_inode:[eventfd]"))
                    .count();
        }
    }
}
