package dev.tether.process;

import dev.tether.labeler.ProcessId;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portable fallback: {@link ProcessHandle#onExit()} plus a start-time check. Slow for the processes tether
 * watches: the JDK waits on its own children at once, but a process that is not its child it polls, first after
 * 300 ms, then at intervals growing by 30 ms up to 5 s, so a death may go unnoticed for seconds. It also misses a
 * process that turns zombie after being watched, until its parent reaps it.
 */
final class PolledWatcher implements ProcessWatcher {

    private static final Logger LOG = LoggerFactory.getLogger(PolledWatcher.class);

    private final String why;
    private final AtomicReference<Thread> worker = new AtomicReference<>();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(task -> {
        Thread thread = Thread.ofPlatform().name("tether-process-watch").daemon().unstarted(task);
        worker.set(thread);
        return thread;
    });

    PolledWatcher() {
        this("the JDK's process handles");
    }

    PolledWatcher(String why) {
        this.why = why;
    }

    @Override
    public String how() {
        return "polling (" + why + ")";
    }

    @Override
    public void onExit(ProcessId process, Runnable action) {
        Objects.requireNonNull(action, "action");
        if (!process.isKnown()) {
            throw new IllegalArgumentException("cannot watch an unknown process: " + process);
        }
        if (executor.isShutdown()) {
            throw new IllegalStateException("process watcher closed");
        }
        Runnable once = once(action);
        Optional<ProcessHandle> handle = ProcessHandle.of(process.pid());
        handle.ifPresent(h -> h.onExit().thenRunAsync(once, executor));
        // Checked after the handle is taken: by then the handle is for our process or for one started after it
        // died. In the second case only this check notices that ours is gone.
        if (handle.isEmpty() || Processes.liveness(process) == Liveness.DEAD) {
            try {
                executor.execute(once);
            } catch (RejectedExecutionException e) {
                // closed meanwhile: no action runs after close
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        if (Thread.currentThread() == worker.get()) {
            return; // an action closing its own watcher: waiting for itself would never end
        }
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The JDK's notice and the start-time check may both fire: the action must not run twice. */
    private static Runnable once(Runnable action) {
        AtomicBoolean ran = new AtomicBoolean();
        return () -> {
            if (ran.compareAndSet(false, true)) {
                try {
                    action.run();
                } catch (Throwable t) {
                    LOG.error("A process exit action failed; the watch goes on", t);
                }
            }
        };
    }
}
