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
 * (ENXIO), so tether calls libc by path.
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

    private static void check(int rc, MemorySegment state, String what) throws IOException {
        if (rc != 0) {
            throw new IOException(what + " failed: errno " + state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
        }
    }
}
