package dev.tether.process;

import dev.tether.labeler.ProcessId;
import java.util.concurrent.CompletableFuture;
import org.slf4j.LoggerFactory;

/**
 * Tells, as soon as it happens, that a process (pid and start time) has ended. Actions run on the watcher's own
 * thread, one at a time, each once: keep them short, hand long work elsewhere.
 */
public interface ProcessWatcher extends AutoCloseable {

    /**
     * Runs {@code action} once, on the watcher's thread, when {@code process} ends; soon (asynchronously) if it has
     * already ended, is a zombie, or its pid now names another process. A process may have many actions.
     *
     * @throws IllegalArgumentException for an unknown process ({@code pid <= 0}): nothing to watch, and "dead" would
     *     be a guess
     * @throws IllegalStateException once closed
     */
    void onExit(ProcessId process, Runnable action);

    /**
     * Stops watching: no action runs after this returns (called from an action, only that batch's remaining
     * actions may), and all descriptors are released.
     */
    @Override
    void close();

    /** How deaths are noticed, for a person: {@code pidfd}, or polling and why. */
    String how();

    /** Whether a death is noticed within milliseconds (pidfd) rather than seconds (polling). */
    default boolean noticesInstantly() {
        return false;
    }

    /** Instant notice through pidfds (Linux 5.3 and later), else the JDK's polling: slower, but everywhere. */
    static ProcessWatcher create() {
        try {
            return PidfdWatcher.open();
        } catch (UnsupportedOperationException | IllegalStateException | IllegalCallerException | LinkageError e) {
            LoggerFactory.getLogger(ProcessWatcher.class)
                    .warn("No pidfd process watch ({}): owner deaths will be noticed by polling, within seconds", e.toString());
            return new PolledWatcher("no pidfd: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
        }
    }

    /**
     * {@link #create()} on a thread of its own: linking the pidfd and epoll calls takes a few hundred milliseconds on
     * a small machine, which a start need not wait for. Calls on the watcher returned wait until it is made.
     */
    static ProcessWatcher createInBackground() {
        return new DeferredWatcher(CompletableFuture.supplyAsync(ProcessWatcher::create,
                runnable -> Thread.ofPlatform().daemon().name("tether-watch-start").start(runnable)));
    }
}
