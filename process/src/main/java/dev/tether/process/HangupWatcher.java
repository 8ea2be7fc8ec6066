package dev.tether.process;

import dev.tether.labeler.ProcessId;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells when every writer of a process's stdin is gone: its MCP host closed the pipe (or socket) or died. tether
 * holds a copy of the process's fd 0, never reads from it, and waits in epoll for the hangup the kernel reports
 * once no writer is left (EPOLLHUP on a pipe; EPOLLRDHUP or EPOLLHUP on a socket, which Node's hosts use). One
 * thread for all of them.
 */
public final class HangupWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HangupWatcher.class);

    private final int epoll;
    private final int wakeup;
    private final Thread thread;
    private final Object lock = new Object();
    // Guarded by lock.
    private final Map<Integer, Runnable> byFd = new HashMap<>();
    private final Map<ProcessId, Integer> byProcess = new HashMap<>();
    private boolean closed;

    private HangupWatcher(int epoll, int wakeup) {
        this.epoll = epoll;
        this.wakeup = wakeup;
        this.thread = Thread.ofPlatform().name("tether-stdin-watch").daemon().unstarted(this::loop);
    }

    /**
     * @throws IllegalStateException  when epoll cannot be had
     * @throws LinkageError           where FFM cannot bind libc
     */
    public static HangupWatcher open() {
        int epoll = Libc.epollCreate();
        if (epoll < 0) {
            throw new IllegalStateException("epoll_create1: errno " + -epoll);
        }
        int wakeup = Libc.eventfd();
        int rc = wakeup < 0 ? wakeup : Libc.epollAdd(epoll, wakeup, Libc.EPOLLIN);
        if (rc < 0) {
            Libc.close(epoll);
            throw new IllegalStateException("eventfd for the stdin watch: errno " + -rc);
        }
        HangupWatcher watcher = new HangupWatcher(epoll, wakeup);
        watcher.thread.start();
        return watcher;
    }

    /**
     * Runs {@code action} once, on the watch thread, when the last writer of {@code process}'s stdin goes. Empty if
     * it watches; else why not (stdin is no pipe or socket, the process is gone, or its fd cannot be had).
     */
    public Optional<String> onStdinHangup(ProcessId process, Runnable action) {
        String target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "fd", "0")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("its stdin cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        boolean pipe = target.startsWith("pipe:");
        if (!pipe && !target.startsWith("socket:")) {
            return Optional.of("its stdin is " + target + ", no pipe or socket");
        }
        int pidfd = Libc.pidfdOpen(process.pid());
        if (pidfd < 0) {
            return Optional.of("pidfd_open: errno " + -pidfd);
        }
        int fd;
        try {
            if (Processes.liveness(process) == Liveness.DEAD) {
                return Optional.of("it has exited");
            }
            // pidfd_getfd copies the very descriptor, pipe or socket alike, but needs ptrace rights; a pipe can
            // also be opened again through /proc, as another reader, which needs none.
            fd = Libc.pidfdGetfd(pidfd, 0);
            if (fd < 0 && pipe) {
                fd = Libc.openReadNonBlocking("/proc/" + process.pid() + "/fd/0");
            }
        } finally {
            Libc.close(pidfd);
        }
        if (fd < 0) {
            return Optional.of("its stdin (" + target + ") cannot be had: errno " + -fd);
        }
        synchronized (lock) {
            if (closed) {
                Libc.close(fd);
                return Optional.of("the stdin watch is closed");
            }
            // No EPOLLIN: what the host writes is the server's to read, and must not wake this thread.
            int rc = Libc.epollAdd(epoll, fd, Libc.EPOLLRDHUP);
            if (rc < 0) {
                Libc.close(fd);
                return Optional.of("epoll_ctl: errno " + -rc);
            }
            Integer old = byProcess.put(process, fd);
            if (old != null) {
                drop(old);
            }
            byFd.put(fd, action);
        }
        return Optional.empty();
    }

    /** Stops watching {@code process}'s stdin and lets go of tether's copy of it. */
    public void cancel(ProcessId process) {
        synchronized (lock) {
            Integer fd = byProcess.remove(process);
            if (fd != null && !closed) {
                drop(fd);
            }
        }
    }

    /** Under lock. */
    private void drop(int fd) {
        byFd.remove(fd);
        Libc.epollDelete(epoll, fd);
        Libc.close(fd);
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            Libc.eventfdSignal(wakeup);
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Libc.epollEventSize() * 32, 8);
            while (true) {
                int ready = Libc.epollWait(epoll, events, -1);
                if (ready == -Libc.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    LOG.error("epoll_wait failed with errno {}: stdin watch stopped", -ready);
                    return;
                }
                List<Runnable> due = new java.util.ArrayList<>();
                synchronized (lock) {
                    if (closed) {
                        return;
                    }
                    for (int i = 0; i < ready; i++) {
                        int fd = Libc.eventFd(events, i);
                        if (fd == wakeup) {
                            Libc.eventfdDrain(wakeup);
                            continue;
                        }
                        Runnable action = byFd.get(fd);
                        if (action != null) {
                            byProcess.values().remove(fd);
                            drop(fd);
                            due.add(action);
                        }
                    }
                }
                for (Runnable action : due) {
                    try {
                        action.run();
                    } catch (RuntimeException e) {
                        LOG.error("A stdin hangup action failed; the watch goes on", e);
                    }
                }
            }
        } finally {
            synchronized (lock) {
                closed = true;
                byFd.keySet().forEach(Libc::close);
                byFd.clear();
                byProcess.clear();
                Libc.close(wakeup);
                Libc.close(epoll);
            }
        }
    }
}
