package dev.tether.guard;

import dev.tether.labeler.ProcessId;
import dev.tether.process.HangupWatcher;
import dev.tether.process.ProcessWatcher;
import dev.tether.process.Processes;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guards of {@code tether run}: the launcher registers each server it execs as a file in
 * {@code <socket>.guards/} (see {@link GuardFile}); the running tether watches that folder and, for each guard, the
 * host (pidfd), the server's stdin (hangup) and the server itself, and stops the server's whole tree ({@link Tree})
 * when the host dies, when the host closed its stdin and it did not exit within the grace, or, for what a server
 * leaves behind, a grace after the server exits. No process and no JVM per server: one folder watch, one pidfd per
 * host and server, one descriptor per stdin.
 *
 * <p>Guard files outlive a tether: the next one takes them over at its start.
 */
public final class Guards implements AutoCloseable {

    /** The variable every process of a guarded server's tree inherits: {@code TETHER_GUARD=<id>}. */
    public static final String MARKER = "TETHER_GUARD";

    private static final Logger LOG = LoggerFactory.getLogger(Guards.class);

    /** A guard as {@code tether status} shows it. */
    public record Summary(String id, ProcessId host, ProcessId server, Optional<Path> cgroup, Duration grace) {}

    private final Path folder;
    private final Duration defaultGrace;
    private final CgroupChoice.Decision cgroups;
    private final ProcessWatcher watcher;
    private final HangupWatcher hangups;
    private final WatchService folderWatch;
    private final Thread thread;
    private final Map<String, Guard> guards = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final class Guard {
        final GuardFile file;
        final Summary summary;
        final Tree tree;
        final AtomicBoolean ending = new AtomicBoolean();

        Guard(GuardFile file) {
            this.file = file;
            this.summary = new Summary(file.id(), file.host(), file.server(), file.cgroup(), file.grace().orElse(defaultGrace));
            this.tree = new Tree(file);
        }

        Duration grace() {
            return summary.grace();
        }
    }

    private Guards(Path folder, Duration defaultGrace, CgroupChoice.Decision cgroups, ProcessWatcher watcher,
                   HangupWatcher hangups, WatchService folderWatch) {
        this.folder = folder;
        this.defaultGrace = defaultGrace;
        this.cgroups = cgroups;
        this.watcher = watcher;
        this.hangups = hangups;
        this.folderWatch = folderWatch;
        this.thread = Thread.ofPlatform().name("tether-guards").daemon().unstarted(this::loop);
    }

    /** The guards' folder of a socket: {@code <socket>.guards}. */
    public static Path folderFor(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".guards");
    }

    /** The folder and the cgroup parent, ready before the socket serves: see {@link #prepare}. */
    public record Prepared(Path folder, CgroupChoice.Decision cgroups) {}

    /**
     * Makes {@code <socket>.guards/} (0700) and says there which cgroup parent the launcher may use. Called before
     * the socket serves: the launcher registers its server the instant it sees the socket served, and must find
     * both. Stops nothing and watches nothing.
     *
     * @param cgroup {@code auto}, {@code none} or a cgroup v2 folder's path (tether up --guard-cgroup)
     * @throws IllegalArgumentException for a {@code cgroup} that is none of these
     */
    public static Prepared prepare(Path socket, String cgroup) throws IOException {
        CgroupChoice choice = CgroupChoice.parse(cgroup);
        Path folder = folderFor(socket);
        if (!Files.isDirectory(folder)) {
            Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        CgroupChoice.Decision decision = choice.decide();
        Path advert = folder.resolve("cgroup");
        if (decision.parent().isPresent()) {
            Path tmp = folder.resolve("cgroup." + ProcessHandle.current().pid());
            Files.writeString(tmp, decision.parent().get() + "\n");
            Files.move(tmp, advert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.deleteIfExists(advert);
        }
        return new Prepared(folder, decision);
    }

    /**
     * Takes over the guards already in the prepared folder and watches for new ones. Called once this tether owns
     * the socket.
     */
    public static Guards start(Prepared prepared, Duration grace, ProcessWatcher watcher) throws IOException {
        CgroupChoice.Decision decision = prepared.cgroups();
        if (decision.parent().isPresent()) {
            LOG.info("guards: {}; each `tether run` server gets a cgroup under {}", decision.why(), decision.parent().get());
        } else {
            LOG.info("guards: no cgroups ({}); each `tether run` server's tree is found by its {} marker and its children",
                    decision.why(), MARKER);
        }
        decision.parent().ifPresent(Guards::removeStaleCgroups);
        Path folder = prepared.folder();
        WatchService folderWatch = folder.getFileSystem().newWatchService();
        folder.register(folderWatch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        HangupWatcher hangups = HangupWatcher.open();
        Guards guards = new Guards(folder, grace, decision, watcher, hangups, folderWatch);
        guards.scan(); // after the watch is in place: a file made in between is seen twice, which is harmless
        guards.thread.start();
        return guards;
    }

    /** The guards running now. */
    public List<Summary> active() {
        return guards.values().stream().map(g -> g.summary).toList();
    }

    /** The cgroup parent the launcher is told to use, if any, and why. */
    public String cgroupsHow() {
        return decisionText(cgroups);
    }

    private static String decisionText(CgroupChoice.Decision d) {
        return d.parent().map(p -> "cgroups under " + p).orElse("marker only (" + d.why() + ")");
    }

    /** Stops watching; stops no server: the guard files stay for the next tether, which takes them over. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            folderWatch.close();
        } catch (IOException e) {
            LOG.debug("closing the guards' folder watch: {}", e.toString());
        }
        hangups.close();
    }

    private void loop() {
        try {
            while (!closed.get()) {
                WatchKey key = folderWatch.take();
                boolean overflow = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        overflow = true;
                    } else if (event.context() instanceof Path name) {
                        load(name.toString());
                    }
                }
                if (overflow) {
                    scan();
                }
                if (!key.reset()) {
                    LOG.error("the guards' folder {} is gone: no new `tether run` server is guarded", folder);
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        } catch (RuntimeException e) {
            LOG.error("the guards' folder watch stopped", e);
        }
    }

    private void scan() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path file : files) {
                load(file.getFileName().toString());
            }
        } catch (IOException e) {
            LOG.error("cannot list the guards' folder {}: {}", folder, e.toString());
        }
    }

    private void load(String name) {
        if (!GuardFile.isId(name) || guards.containsKey(name)) {
            return;
        }
        Path path = folder.resolve(name);
        String text;
        int uid;
        try {
            text = Files.readString(path);
            uid = (Integer) Files.getAttribute(path, "unix:uid");
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException | RuntimeException e) {
            LOG.warn("guard file {} cannot be read: {}", path, e.toString());
            return;
        }
        switch (GuardFile.parse(name, text, uid)) {
            case GuardFile.Parsed.Invalid invalid -> {
                if (text.endsWith("\n")) { // else the launcher is still writing it: its next write is another event
                    LOG.warn("guard file {} is ignored: {}", path, invalid.why());
                }
            }
            case GuardFile.Parsed.Valid valid -> register(new Guard(valid.guard()));
        }
    }

    private void register(Guard guard) {
        if (guards.putIfAbsent(guard.file.id(), guard) != null) {
            return;
        }
        GuardFile file = guard.file;
        LOG.info("guard {}: server pid {} of host pid {}, grace {}, {}", file.id(), file.server().pid(), file.host().pid(),
                Durations.text(guard.grace()), file.cgroup().map(c -> "cgroup " + c).orElse("marker " + MARKER + "=" + file.id()));
        hangups.onStdinHangup(file.server(), () -> stdinClosed(guard))
                .ifPresent(why -> LOG.debug("guard {}: no stdin watch: {}", file.id(), why));
        watcher.onExit(file.host(), () -> {
            if (guard.ending.compareAndSet(false, true)) {
                Thread.ofVirtual().name("tether-guard-" + file.id()).start(() -> end(guard,
                        "its host exited (pid " + file.host().pid() + ")"));
            }
        });
        watcher.onExit(file.server(), () -> Thread.ofVirtual().name("tether-guard-" + file.id()).start(() -> {
            // The host may be dying too (its death often ends the server): a grace for it to say so, then what the
            // server left behind is a leak of its own.
            if (waitUnlessEnding(guard) && guard.ending.compareAndSet(false, true)) {
                end(guard, "its server exited");
            }
        }));
    }

    private void stdinClosed(Guard guard) {
        Thread.ofVirtual().name("tether-guard-" + guard.file.id()).start(() -> {
            LOG.debug("guard {}: its host closed its stdin", guard.file.id());
            if (waitUnlessEnding(guard) && Processes.isAlive(guard.file.server())
                    && guard.ending.compareAndSet(false, true)) {
                end(guard, "its host closed its stdin and it did not exit within " + Durations.text(guard.grace()));
            }
        });
    }

    /** Waits the guard's grace: false if another rule ends the guard meanwhile, or tether stops. */
    private boolean waitUnlessEnding(Guard guard) {
        long deadline = System.nanoTime() + guard.grace().toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (guard.ending.get() || closed.get()) {
                    return false;
                }
                Thread.sleep(Math.min(50, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            return false;
        }
        return !guard.ending.get() && !closed.get();
    }

    private void end(Guard guard, String reason) {
        GuardFile file = guard.file;
        hangups.cancel(file.server());
        int stopped;
        long began = System.nanoTime();
        try {
            stopped = guard.tree.stop(guard.grace());
        } catch (InterruptedException e) {
            return;
        } catch (RuntimeException e) {
            LOG.error("guard {}: stopping its tree failed; its guard file stays for the next try", file.id(), e);
            guards.remove(file.id());
            return;
        }
        if (closed.get()) {
            return; // the next tether takes the guard over
        }
        file.cgroup().ifPresent(Guards::removeCgroup);
        try {
            Files.deleteIfExists(folder.resolve(file.id()));
        } catch (IOException e) {
            LOG.warn("guard {}: its file cannot be removed: {}", file.id(), e.toString());
        }
        guards.remove(file.id());
        LOG.info("guard {} ended: {}; {} process{} of its tree stopped in {} ms", file.id(), reason, stopped,
                stopped == 1 ? "" : "es", (System.nanoTime() - began) / 1_000_000);
    }

    /**
     * Removes the empty cgroups of servers that are gone, which a tether stopped (or killed) before their guard ended
     * leaves behind. The parent may be shared by the tethers of several sockets: a cgroup is named by its server's
     * pid and start time, so a dead server's is nobody's, and a live one's is never touched.
     */
    private static void removeStaleCgroups(Path parent) {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(parent, entry -> GuardFile.isId(entry.getFileName().toString()))) {
            for (Path cgroup : children) {
                String[] id = cgroup.getFileName().toString().split("-");
                ProcessId server = new ProcessId(Long.parseLong(id[0]), Long.parseLong(id[1]), "");
                if (Processes.liveness(server) == dev.tether.process.Liveness.DEAD
                        && Files.readString(cgroup.resolve("cgroup.procs")).isBlank()) {
                    try {
                        Files.deleteIfExists(cgroup);
                    } catch (IOException e) {
                        LOG.debug("stale cgroup {}: {}", cgroup, e.toString()); // a process joined it meanwhile
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot tidy the cgroups under {}: {}", parent, e.toString());
        }
    }

    /** A cgroup can be removed once empty, which the kernel says a moment after its last process died. */
    private static void removeCgroup(Path cgroup) {
        for (int i = 0; i < 50; i++) {
            try {
                Files.deleteIfExists(cgroup);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
        LOG.warn("the cgroup {} could not be removed: it is not empty", cgroup);
    }

    /** Durations as the options write them. */
    static final class Durations {
        private Durations() {}

        static String text(Duration d) {
            long ms = d.toMillis();
            return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
        }
    }

}
