package dev.tether.process;

import dev.tether.labeler.ProcessId;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pidfd per watched process, all in one epoll set: the kernel makes a pidfd readable the instant its process
 * exits, so the notice costs no polling and no delay. One thread blocks in epoll_wait; an eventfd wakes it for
 * actions due at once and for {@link #close}.
 */
final class PidfdWatcher implements ProcessWatcher {

    private static final Logger LOG = LoggerFactory.getLogger(PidfdWatcher.class);
    private static final int BATCH = 64;

    /** A watched process, its open pidfd and the actions waiting for its end. */
    private record Watch(ProcessId process, int pidfd, List<Runnable> actions) {}

    private final int epoll;
    private final int wakeup;
    private final Thread thread;
    /** Due at once: the process was already gone when watched. Run by the watch thread. */
    private final Queue<Runnable> due = new ConcurrentLinkedQueue<>();

    private final Object lock = new Object();
    // Guarded by lock: both maps hold the same watches, and are changed together.
    private final Map<Integer, Watch> byPidfd = new HashMap<>();
    private final Map<ProcessId, Watch> byProcess = new HashMap<>();
    private boolean closed;
    /** The descriptors are closed: from then on their numbers may belong to anything, so nothing may touch them. */
    private boolean released;
    /** For a process no pidfd could be opened for (out of descriptors, say): rare, so made on first need. */
    private PolledWatcher fallback;

    private PidfdWatcher(int epoll, int wakeup) {
        this.epoll = epoll;
        this.wakeup = wakeup;
        this.thread = Thread.ofPlatform().name("tether-process-watch").daemon().unstarted(this::loop);
    }

    /**
     * @throws UnsupportedOperationException where pidfds do not work (kernel before 5.3, or seccomp forbids them)
     * @throws LinkageError where FFM cannot bind libc (another OS or architecture, native access denied)
     */
    static PidfdWatcher open() {
        int probe = Libc.pidfdOpen(ProcessHandle.current().pid());
        if (probe < 0) {
            throw new UnsupportedOperationException("pidfd_open: errno " + -probe);
        }
        Libc.close(probe);
        int epoll = Libc.epollCreate();
        if (epoll < 0) {
            throw new IllegalStateException("epoll_create1: errno " + -epoll);
        }
        int wakeup = Libc.eventfd();
        int rc = wakeup < 0 ? wakeup : Libc.epollAdd(epoll, wakeup, Libc.EPOLLIN);
        if (rc < 0) {
            Libc.close(epoll);
            if (wakeup >= 0) {
                Libc.close(wakeup);
            }
            throw new IllegalStateException("eventfd for the process watch: errno " + -rc);
        }
        PidfdWatcher watcher = new PidfdWatcher(epoll, wakeup);
        watcher.thread.start();
        return watcher;
    }

    @Override
    public String how() {
        return "pidfd";
    }

    @Override
    public boolean noticesInstantly() {
        return true;
    }

    @Override
    public void onExit(ProcessId process, Runnable action) {
        Objects.requireNonNull(action, "action");
        if (!process.isKnown()) {
            throw new IllegalArgumentException("cannot watch an unknown process: " + process);
        }
        synchronized (lock) {
            ensureOpen();
            Watch watch = byProcess.get(process);
            if (watch != null) {
                watch.actions().add(action);
                return;
            }
        }
        int pidfd = Libc.pidfdOpen(process.pid());
        if (pidfd == -Libc.ESRCH) {
            runSoon(action); // gone and reaped
            return;
        }
        if (pidfd < 0) {
            watchByPolling(process, action, "pidfd_open", -pidfd);
            return;
        }
        // The pidfd now pins whichever process has this pid. Only now is the start time worth checking: if it is
        // ours, the pidfd is ours; if the pid was reused, ours is gone. Checked the other way round, the pid could
        // be reused between the check and the open, and the watch would wait for a stranger.
        if (Processes.liveness(process) == Liveness.DEAD) {
            Libc.close(pidfd);
            runSoon(action);
            return;
        }
        // Liveness.UNKNOWN (stat hidden by hidepid) keeps the watch: waiting too long for a stranger leaks a container,
        // firing on a guess would stop a live owner's.
        int rc;
        synchronized (lock) {
            if (closed) {
                Libc.close(pidfd);
                ensureOpen();
            }
            Watch watch = byProcess.get(process);
            if (watch != null) {
                Libc.close(pidfd); // another thread watched it meanwhile: one pidfd is enough
                watch.actions().add(action);
                return;
            }
            rc = Libc.epollAdd(epoll, pidfd, Libc.EPOLLIN);
            if (rc >= 0) {
                watch = new Watch(process, pidfd, new ArrayList<>(List.of(action)));
                byPidfd.put(pidfd, watch);
                byProcess.put(process, watch);
                return;
            }
            Libc.close(pidfd);
        }
        watchByPolling(process, action, "epoll_ctl", -rc);
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        wake();
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true; // close must finish: the descriptors are released only by the thread
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Libc.epollEventSize() * BATCH, 8);
            while (true) {
                int ready = Libc.epollWait(epoll, events, -1);
                if (ready == -Libc.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    LOG.error("epoll_wait failed with errno {}: process watch stopped", -ready);
                    return;
                }
                List<Watch> ended = new ArrayList<>();
                synchronized (lock) {
                    if (closed) {
                        return;
                    }
                    for (int i = 0; i < ready; i++) {
                        int fd = Libc.eventFd(events, i);
                        if (fd == wakeup) {
                            Libc.eventfdDrain(wakeup);
                        } else {
                            Watch watch = byPidfd.remove(fd);
                            if (watch != null) {
                                unwatch(watch);
                                ended.add(watch);
                            }
                        }
                    }
                }
                // Actions run outside the lock: one that registers another watch must not deadlock.
                for (Watch watch : ended) {
                    watch.actions().forEach(this::run);
                }
                for (Runnable action; (action = due.poll()) != null; ) {
                    run(action);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("Process watch stopped", e);
        } finally {
            release();
        }
    }

    private void run(Runnable action) {
        try {
            action.run();
        } catch (Throwable t) {
            LOG.error("A process exit action failed; the watch goes on", t);
        }
    }

    /** Queues {@code action} for the watch thread: callers of {@link #onExit} never run actions themselves. */
    private void runSoon(Runnable action) {
        due.add(action);
        wake();
    }

    private void wake() {
        synchronized (lock) {
            if (!released) {
                Libc.eventfdSignal(wakeup); // fails only if the counter is full, when it is readable anyway
            }
        }
    }

    /** Under lock. Removing before closing matters: once closed, the pidfd's number can be handed out again. */
    private void unwatch(Watch watch) {
        byProcess.remove(watch.process());
        Libc.epollDelete(epoll, watch.pidfd());
        Libc.close(watch.pidfd());
    }

    /** On the watch thread, as it ends: closed by {@link #close} or stopped by a failure, nothing must leak. */
    private void release() {
        PolledWatcher polled;
        synchronized (lock) {
            closed = true;
            released = true;
            byPidfd.values().forEach(watch -> Libc.close(watch.pidfd()));
            byPidfd.clear();
            byProcess.clear();
            Libc.close(wakeup);
            Libc.close(epoll);
            due.clear();
            polled = fallback;
        }
        if (polled != null) {
            polled.close(); // outside the lock: its thread may be waiting for it in runSoon
        }
    }

    /** Out of descriptors or epoll watches, say: a late notice beats none. The action still runs on this thread. */
    private void watchByPolling(ProcessId process, Runnable action, String call, int errno) {
        LOG.warn("{} for pid {} failed with errno {}: watching it by polling, slower", call, process.pid(), errno);
        PolledWatcher polled;
        synchronized (lock) {
            ensureOpen();
            if (fallback == null) {
                fallback = new PolledWatcher();
            }
            polled = fallback;
        }
        polled.onExit(process, () -> runSoon(action));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("process watcher closed");
        }
    }
}
