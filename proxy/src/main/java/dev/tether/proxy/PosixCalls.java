package dev.tether.proxy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * chmod, chown, geteuid and getgrnam through FFM: the JDK sets a file's mode by opening it, which a socket file refuses
 * (ENXIO), so tether calls libc by path. flock too: the JDK's file locks are fcntl locks, which flock(1) in the
 * launcher cannot see.
 */
final class PosixCalls {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET =
            Linker.Option.captureStateLayout().byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle CHMOD = LINKER.downcallHandle(LIBC.find("chmod").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), ERRNO);
    private static final MethodHandle CHOWN = LINKER.downcallHandle(LIBC.find("chown").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);
    private static final MethodHandle GETEUID = LINKER.downcallHandle(LIBC.find("geteuid").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle GETGRNAM = LINKER.downcallHandle(LIBC.find("getgrnam").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    private static final MethodHandle OPEN = LINKER.downcallHandle(LIBC.find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FLOCK = LINKER.downcallHandle(LIBC.find("flock").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LIBC.find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static final int O_RDWR = 02, O_CREAT = 0100, O_NOFOLLOW = 0400000, O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2, LOCK_NB = 4, EWOULDBLOCK = 11;

    /** struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... } on LP64. */
    private static final long GR_GID_OFFSET = 2L * ValueLayout.ADDRESS.byteSize();

    private PosixCalls() {}

    static void chmod(Path path, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) CHMOD.invokeExact(state, arena.allocateFrom(path.toString()), mode);
            check(rc, state, "chmod " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Changes only the group. */
    static void chgrp(Path path, int gid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) CHOWN.invokeExact(state, arena.allocateFrom(path.toString()), -1, gid);
            check(rc, state, "chgrp " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The user tether runs as: the owner of every file it creates. */
    static int effectiveUid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The gid of a group name, or -1 if there is no such group. */
    static int groupId(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment group = (MemorySegment) GETGRNAM.invokeExact(arena.allocateFrom(name));
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
    static int tryExclusiveFlock(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()),
                    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0) {
                throw new IOException("open " + path + " failed: errno " + state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
            }
            int rc = (int) FLOCK.invokeExact(state, fd, LOCK_EX | LOCK_NB);
            if (rc == 0) {
                return fd;
            }
            int errno = state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
            int closed = (int) CLOSE.invokeExact(fd);
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
    static void close(int fd) {
        try {
            int rc = (int) CLOSE.invokeExact(fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void check(int rc, MemorySegment state, String what) throws IOException {
        if (rc != 0) {
            throw new IOException(what + " failed: errno " + state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
        }
    }
}
