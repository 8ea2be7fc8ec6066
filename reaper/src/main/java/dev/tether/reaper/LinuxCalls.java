package dev.tether.reaper;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * pidfd_open, epoll and eventfd through FFM, kernel style: each call returns its result, or {@code -errno}.
 * Loading this class fails (a {@link LinkageError}) where they cannot be bound: another OS or architecture, or
 * native access denied.
 */
final class LinuxCalls {

    static final int ESRCH = 3;
    static final int EINTR = 4;

    static final int EPOLLIN = 0x001;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    /** O_CLOEXEC on x86_64 and aarch64 alike: a child of tether must not inherit these descriptors. */
    private static final int CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;

    /** pidfd_open came late enough (Linux 5.3) to get the same number on every architecture of the unified table. */
    private static final long SYS_PIDFD_OPEN = 434;

    /** x86_64 packs struct epoll_event (a 32-bit mask, then the 64-bit data at offset 4); aarch64 aligns the data. */
    static final long EVENT_SIZE;
    private static final long EVENT_DATA;

    static {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        if (!System.getProperty("os.name").equals("Linux")) {
            throw new UnsupportedOperationException("not Linux");
        }
        switch (arch) {
            case "amd64", "x86_64" -> { EVENT_SIZE = 12; EVENT_DATA = 4; }
            case "aarch64", "arm64" -> { EVENT_SIZE = 16; EVENT_DATA = 8; }
            default -> throw new UnsupportedOperationException("epoll_event layout unknown on " + arch);
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET =
            Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    // syscall(2) reads its arguments as longs: pass longs, not ints with undefined upper halves.
    private static final MethodHandle SYSCALL = handle("syscall",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle EPOLL_CREATE1 = handle("epoll_create1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle EPOLL_CTL = handle("epoll_ctl",
            FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS));
    private static final MethodHandle EPOLL_WAIT = handle("epoll_wait",
            FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, INT, INT));
    private static final MethodHandle EVENTFD = handle("eventfd", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle WRITE = handle("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle READ = handle("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT));

    private LinuxCalls() {}

    /**
     * A descriptor (always close-on-exec) that becomes readable when the process exits, or -ESRCH if there is no
     * such process.
     */
    static int pidfdOpen(long pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((long) SYSCALL.invokeExact(errno, SYS_PIDFD_OPEN, pid, 0L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollCreate() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((int) EPOLL_CREATE1.invokeExact(errno, CLOEXEC), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Adds {@code fd} for {@code events}, with {@code fd} itself as the event's data. */
    static int epollAdd(int epfd, int fd, int events) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            MemorySegment event = arena.allocate(EVENT_SIZE, 8);
            event.set(INT, 0, events);
            event.set(ValueLayout.JAVA_LONG_UNALIGNED, EVENT_DATA, fd);
            return result((int) EPOLL_CTL.invokeExact(errno, epfd, EPOLL_CTL_ADD, fd, event), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollDelete(int epfd, int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            // Kernels before 2.6.9 wanted a non-null event even for DEL; passing one costs nothing.
            MemorySegment event = arena.allocate(EVENT_SIZE, 8);
            return result((int) EPOLL_CTL.invokeExact(errno, epfd, EPOLL_CTL_DEL, fd, event), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Blocks until an event ({@code timeoutMillis} -1: no limit); fills {@code events}, returns how many. */
    static int epollWait(int epfd, MemorySegment events, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            int max = (int) (events.byteSize() / EVENT_SIZE);
            return result((int) EPOLL_WAIT.invokeExact(errno, epfd, events, max, timeoutMillis), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The descriptor a filled-in event was registered with. */
    static int eventFd(MemorySegment events, int index) {
        return (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED, index * EVENT_SIZE + EVENT_DATA);
    }

    static int eventfd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((int) EVENTFD.invokeExact(errno, 0, CLOEXEC | EFD_NONBLOCK), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Adds one to an eventfd's counter, making it readable. */
    static int eventfdSignal(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_LONG, 1);
            return result((long) WRITE.invokeExact(errno, fd, one, 8L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Resets a (non-blocking) eventfd's counter to zero. */
    static int eventfdDrain(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
            return result((long) READ.invokeExact(errno, fd, counter, 8L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((int) CLOSE.invokeExact(errno, fd), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        System.arraycopy(options, 0, all, 0, options.length);
        all[options.length] = ERRNO;
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new UnsupportedOperationException(name)), descriptor, all);
    }

    private static MemorySegment errnoSegment(Arena arena) {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    private static int result(long rc, MemorySegment errno) {
        return rc >= 0 ? (int) rc : -errno.get(INT, ERRNO_OFFSET);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t); // invokeExact declares Throwable; libc calls throw nothing checked
    }
}
