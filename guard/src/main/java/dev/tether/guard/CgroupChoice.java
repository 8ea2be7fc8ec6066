package dev.tether.guard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where guarded servers get their cgroups ({@code tether up --guard-cgroup}): {@code auto} (the default) takes a
 * {@code tether} folder at the root of the cgroup v2 hierarchy when tether may write there (root:
 * {@code /sys/fs/cgroup/tether} on a pure v2 machine, {@code /sys/fs/cgroup/unified/tether} on a hybrid one);
 * {@code PATH} a cgroup v2 folder delegated to this user (systemd's user manager gives one, e.g. under
 * {@code user@UID.service}); {@code none} uses the marker alone.
 */
sealed interface CgroupChoice {

    record Auto() implements CgroupChoice {}

    record Given(Path path) implements CgroupChoice {}

    record None() implements CgroupChoice {}

    static CgroupChoice parse(String text) {
        return switch (text) {
            case "auto" -> new Auto();
            case "none" -> new None();
            default -> {
                Path path = Path.of(text);
                if (!path.isAbsolute()) {
                    throw new IllegalArgumentException("--guard-cgroup takes auto, none or an absolute path to a cgroup v2 folder, not " + text);
                }
                yield new Given(path);
            }
        };
    }

    /** What was decided, and why, for the log and {@code tether status}. */
    record Decision(Optional<Path> parent, String why) {}

    /** Makes the parent folder if it can; never fails: without a cgroup, the marker still finds the tree. */
    default Decision decide() {
        return switch (this) {
            case None n -> new Decision(Optional.empty(), "--guard-cgroup none");
            case Given g -> usable(g.path(), "--guard-cgroup " + g.path());
            case Auto a -> v2Root()
                    .map(root -> usable(root.resolve("tether"), "auto: the cgroup v2 hierarchy at " + root))
                    .orElse(new Decision(Optional.empty(), "auto: no cgroup v2 hierarchy is mounted"));
        };
    }

    private static Decision usable(Path parent, String why) {
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            return new Decision(Optional.empty(), why + ", but " + parent + " cannot be made (" + e.getClass().getSimpleName()
                    + "; not root and no delegated cgroup?): the marker alone finds each server's processes");
        }
        if (!Files.isRegularFile(parent.resolve("cgroup.procs")) || !Files.isWritable(parent.resolve("cgroup.procs"))) {
            return new Decision(Optional.empty(), why + ", but " + parent + " is no cgroup v2 folder this user may write:"
                    + " the marker alone finds each server's processes");
        }
        return new Decision(Optional.of(parent), why);
    }

    /** The cgroup2 mount: /sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a hybrid one. */
    private static Optional<Path> v2Root() {
        try {
            List<String> mounts = Files.readAllLines(Path.of("/proc/self/mounts"));
            return mounts.stream().map(line -> line.split(" ")).filter(f -> f.length > 2 && f[2].equals("cgroup2"))
                    .map(f -> Path.of(f[1])).min((a, b) -> Integer.compare(a.getNameCount(), b.getNameCount()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
