package dev.tether.process;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The Linux and POSIX calls tether makes, through FFM: one place that binds libc.
 * <ul>
 *   <li>pidfd_open, epoll and eventfd, kernel style: each returns its result, or {@code -errno}. Their first use fails
 *   (a {@link LinkageError}) where they cannot be bound: another OS or architecture, or native access denied; the
 *   {@link ProcessWatcher} then polls.</li>
 *   <li>chmod, chown and getgrnam by path: the JDK sets a file's mode by opening it, which a socket file refuses
 *   (ENXIO). flock too: the JDK's file locks are fcntl locks, which flock(1) in the launcher cannot see.</li>
 *   <li>A netlink sock_diag query for a unix socket's peer, which /proc does not show.</li>
 * </ul>
 */
public final class Libc {

    private Libc() {}

    /** struct epoll_event's layout, which differs by architecture: known only on Linux x86_64 and aarch64. */
    private static final class EpollEvent {
        /** x86_64 packs struct epoll_event (a 32-bit mask, then the 64-bit data at offset 4); aarch64 aligns the data. */
        static final long SIZE;
        static final long DATA;

        static {
            String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
            if (!System.getProperty("os.name").equals("Linux")) {
                throw new UnsupportedOperationException("not Linux");
            }
            switch (arch) {
                case "amd64", "x86_64" -> { SIZE = 12; DATA = 4; }
                case "aarch64", "arm64" -> { SIZE = 16; DATA = 8; }
                default -> throw new UnsupportedOperationException("epoll_event layout unknown on " + arch);
            }
        }
    }

    /** The size of one struct epoll_event, for a buffer of them. */
    static long epollEventSize() {
        return EpollEvent.SIZE;
    }


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
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_GETFD = 438;

    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    static final int EPOLLRDHUP = 0x2000;


    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET =
            Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    // syscall(2) reads its arguments as longs: pass longs, not ints with undefined upper halves.
    private static final Function SYSCALL = withErrno("syscall",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final Function SYSCALL4 = withErrno("syscall",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final Function EPOLL_CREATE1 = withErrno("epoll_create1", FunctionDescriptor.of(INT, INT));
    private static final Function EPOLL_CTL = withErrno("epoll_ctl",
            FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS));
    private static final Function EPOLL_WAIT = withErrno("epoll_wait",
            FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, INT, INT));
    private static final Function EVENTFD = withErrno("eventfd", FunctionDescriptor.of(INT, INT, INT));
    private static final Function WRITE = withErrno("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final Function READ = withErrno("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final Function CLOSE = withErrno("close", FunctionDescriptor.of(INT, INT));
    private static final Function SOCKET = withErrno("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final Function SEND = withErrno("send",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, INT));
    private static final Function RECV = withErrno("recv",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, INT));

    // NETLINK_SOCK_DIAG for unix sockets (linux/sock_diag.h, linux/unix_diag.h): the same on every architecture.
    private static final int AF_NETLINK = 16, SOCK_DGRAM = 2, NETLINK_SOCK_DIAG = 4, AF_UNIX = 1;
    private static final short SOCK_DIAG_BY_FAMILY = 20, NLM_F_REQUEST = 1;
    private static final int UDIAG_SHOW_PEER = 4;
    private static final short UNIX_DIAG_PEER = 2;
    private static final int NLMSG_HEADER = 16, UNIX_DIAG_MSG = 16;


    /**
     * A descriptor (always close-on-exec) that becomes readable when the process exits, or -ESRCH if there is no
     * such process.
     */
    static int pidfdOpen(long pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((long) SYSCALL.handle().invokeExact(errno, SYS_PIDFD_OPEN, pid, 0L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Sends {@code signal} to the process a pidfd pins: never to a later process that got its pid. 0, or -errno
     * (-ESRCH: it has exited).
     */
    static int pidfdSendSignal(int pidfd, int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((long) SYSCALL4.handle().invokeExact(errno, SYS_PIDFD_SEND_SIGNAL, (long) pidfd, (long) signal, 0L, 0L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A copy (close-on-exec) of descriptor {@code targetFd} of the process a pidfd pins, or -errno (-EPERM where
     * ptrace rules forbid it: another user's process, or Yama's ptrace_scope for a non-descendant).
     */
    static int pidfdGetfd(int pidfd, int targetFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((long) SYSCALL4.handle().invokeExact(errno, SYS_PIDFD_GETFD, (long) pidfd, (long) targetFd, 0L, 0L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Opens {@code path} read-only, non-blocking, close-on-exec: the descriptor, or -errno. */
    static int openReadNonBlocking(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int fd = (int) OPEN.handle().invokeExact(state, arena.allocateFrom(path), O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
            return fd >= 0 ? fd : -state.get(INT, ERRNO_OFFSET);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollCreate() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((int) EPOLL_CREATE1.handle().invokeExact(errno, CLOEXEC), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Adds {@code fd} for {@code events}, with {@code fd} itself as the event's data. */
    static int epollAdd(int epfd, int fd, int events) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            MemorySegment event = arena.allocate(EpollEvent.SIZE, 8);
            event.set(INT, 0, events);
            event.set(ValueLayout.JAVA_LONG_UNALIGNED, EpollEvent.DATA, fd);
            return result((int) EPOLL_CTL.handle().invokeExact(errno, epfd, EPOLL_CTL_ADD, fd, event), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollDelete(int epfd, int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            // Kernels before 2.6.9 wanted a non-null event even for DEL; passing one costs nothing.
            MemorySegment event = arena.allocate(EpollEvent.SIZE, 8);
            return result((int) EPOLL_CTL.handle().invokeExact(errno, epfd, EPOLL_CTL_DEL, fd, event), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Blocks until an event ({@code timeoutMillis} -1: no limit); fills {@code events}, returns how many. */
    static int epollWait(int epfd, MemorySegment events, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            int max = (int) (events.byteSize() / EpollEvent.SIZE);
            return result((int) EPOLL_WAIT.handle().invokeExact(errno, epfd, events, max, timeoutMillis), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The descriptor a filled-in event was registered with. */
    static int eventFd(MemorySegment events, int index) {
        return (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED, index * EpollEvent.SIZE + EpollEvent.DATA);
    }

    static int eventfd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((int) EVENTFD.handle().invokeExact(errno, 0, CLOEXEC | EFD_NONBLOCK), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Adds one to an eventfd's counter, making it readable. */
    static int eventfdSignal(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_LONG, 1);
            return result((long) WRITE.handle().invokeExact(errno, fd, one, 8L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Resets a (non-blocking) eventfd's counter to zero. */
    static int eventfdDrain(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
            return result((long) READ.handle().invokeExact(errno, fd, counter, 8L), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            return result((int) CLOSE.handle().invokeExact(errno, fd), errno);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The inode of the other end of the unix socket with this inode, as {@code ss -x} shows it: 0 when that end was
     * closed (the process at the other end exited), -1 when the socket is no connected unix socket of this network
     * namespace, or the kernel cannot be asked (no sock_diag).
     */
    public static long unixSocketPeer(long inode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = errnoSegment(arena);
            int fd = (int) SOCKET.handle().invokeExact(errno, AF_NETLINK, SOCK_DGRAM | CLOEXEC, NETLINK_SOCK_DIAG);
            if (fd < 0) {
                return -1;
            }
            try {
                // struct nlmsghdr, then struct unix_diag_req: native byte order, as the kernel reads them
                MemorySegment request = arena.allocate(NLMSG_HEADER + 24, 4);
                request.set(INT, 0, NLMSG_HEADER + 24);
                request.set(ValueLayout.JAVA_SHORT, 4, SOCK_DIAG_BY_FAMILY);
                request.set(ValueLayout.JAVA_SHORT, 6, NLM_F_REQUEST);
                request.set(INT, 8, 1);
                request.set(ValueLayout.JAVA_BYTE, 16, (byte) AF_UNIX);
                request.set(INT, 20, -1);              // udiag_states: any
                request.set(INT, 24, (int) inode);     // udiag_ino
                request.set(INT, 28, UDIAG_SHOW_PEER);
                request.set(INT, 32, -1);              // udiag_cookie: none (INET_DIAG_NOCOOKIE, twice)
                request.set(INT, 36, -1);
                if ((long) SEND.handle().invokeExact(errno, fd, request, request.byteSize(), 0) != request.byteSize()) {
                    return -1;
                }
                MemorySegment reply = arena.allocate(8192, 4);
                long n = (long) RECV.handle().invokeExact(errno, fd, reply, reply.byteSize(), 0);
                if (n < NLMSG_HEADER + UNIX_DIAG_MSG || reply.get(ValueLayout.JAVA_SHORT, 4) != SOCK_DIAG_BY_FAMILY) {
                    return -1; // NLMSG_ERROR: no such socket (ENOENT), or not a unix one
                }
                long end = Math.min(n, Integer.toUnsignedLong(reply.get(INT, 0)));
                // struct nlattr (length, type), each padded to 4 bytes, after struct unix_diag_msg
                for (long at = NLMSG_HEADER + UNIX_DIAG_MSG; at + 4 <= end; ) {
                    int length = Short.toUnsignedInt(reply.get(ValueLayout.JAVA_SHORT, at));
                    short type = reply.get(ValueLayout.JAVA_SHORT, at + 2);
                    if (length < 4) {
                        break;
                    }
                    if (type == UNIX_DIAG_PEER && length >= 8) {
                        return Integer.toUnsignedLong(reply.get(INT, at + 4));
                    }
                    at += (length + 3) & ~3;
                }
                return -1; // not connected: no peer attribute
            } finally {
                close(fd);
            }
        } catch (LinkageError | RuntimeException e) {
            return -1;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static Function withErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        System.arraycopy(options, 0, all, 0, options.length);
        all[options.length] = ERRNO;
        return new Function(name, descriptor, all);
    }

    private static Function function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return new Function(name, descriptor, options);
    }

    /**
     * A C function, linked on its first call. Linking one spins a few classes (10 to 30 ms each here); linked all at
     * once, they kept tether's socket from serving for about 0.3 s, though a start needs only the pidfd and epoll ones.
     */
    private static final class Function {
        private final String name;
        private final FunctionDescriptor descriptor;
        private final Linker.Option[] options;
        private volatile MethodHandle handle;

        Function(String name, FunctionDescriptor descriptor, Linker.Option[] options) {
            this.name = name;
            this.descriptor = descriptor;
            this.options = options;
        }

        MethodHandle handle() {
            MethodHandle h = handle;
            if (h == null) {
                synchronized (this) {
                    h = handle;
                    if (h == null) {
                        h = LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new UnsupportedOperationException(name)),
                                descriptor, options);
                        handle = h;
                    }
                }
            }
            return h;
        }
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

    private static final Function CHMOD = withErrno("chmod",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final Function CHOWN = withErrno("chown",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final Function SYSCONF = function("sysconf",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    /** _SC_CLK_TCK in glibc's and musl's unistd.h. */
    private static final int SC_CLK_TCK = 2;
    private static final Function GETEUID = function("geteuid",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final Function GETGRNAM = function("getgrnam",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    private static final Function OPEN = withErrno("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final Function FLOCK = withErrno("flock",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static final int O_RDONLY = 0, O_NONBLOCK = 04000;
    private static final int O_RDWR = 02, O_CREAT = 0100, O_NOFOLLOW = 0400000, O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2, LOCK_NB = 4, EWOULDBLOCK = 11;

    /** struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... } on LP64. */
    private static final long GR_GID_OFFSET = 2L * ValueLayout.ADDRESS.byteSize();


    public static void chmod(Path path, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) CHMOD.handle().invokeExact(state, arena.allocateFrom(path.toString()), mode);
            check(rc, state, "chmod " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Changes only the group. */
    public static void chgrp(Path path, int gid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) CHOWN.handle().invokeExact(state, arena.allocateFrom(path.toString()), -1, gid);
            check(rc, state, "chgrp " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** sysconf(_SC_CLK_TCK): the unit of the start times in /proc/PID/stat (100 on every Linux tether runs on). */
    public static long clockTicksPerSecond() {
        try {
            long ticks = (long) SYSCONF.handle().invokeExact(SC_CLK_TCK);
            return ticks > 0 ? ticks : 100;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The user tether runs as: the owner of every file it creates. */
    public static int effectiveUid() {
        try {
            return (int) GETEUID.handle().invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The gid of a group name, or -1 if there is no such group. */
    public static int groupId(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment group = (MemorySegment) GETGRNAM.handle().invokeExact(arena.allocateFrom(name));
            if (group.equals(MemorySegment.NULL)) {
                return -1;
            }
            return group.reinterpret(GR_GID_OFFSET + 4).get(ValueLayout.JAVA_INT, GR_GID_OFFSET);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Opens (creating, mode 0600) {@code path} and takes an exclusive flock on it without waiting: the descriptor
     * holding the lock, or -1 if another open file holds it.
     */
    public static int tryExclusiveFlock(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int fd = (int) OPEN.handle().invokeExact(state, arena.allocateFrom(path.toString()),
                    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0) {
                throw new IOException("open " + path + " failed: errno " + state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
            }
            int rc = (int) FLOCK.handle().invokeExact(state, fd, LOCK_EX | LOCK_NB);
            if (rc == 0) {
                return fd;
            }
            int errno = state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
            int closed = close(fd);
            if (errno == EWOULDBLOCK) {
                return -1;
            }
            throw new IOException("flock " + path + " failed: errno " + errno);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes a descriptor, and with it any flock it holds. */
    public static void unlock(int fd) {
        close(fd);
    }

    private static void check(int rc, MemorySegment state, String what) throws IOException {
        if (rc != 0) {
            throw new IOException(what + " failed: errno " + state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
        }
    }
}
