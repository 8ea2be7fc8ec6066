package dev.tether.daemon;

import dev.tether.docker.ContainerInfo;
import dev.tether.docker.EngineClient;
import dev.tether.docker.EngineEvent;
import dev.tether.journal.JournalWriter;
import dev.tether.journal.Records;
import dev.tether.labeler.ProcessId;
import dev.tether.proxy.Peer;
import dev.tether.proxy.ProxyEvents;
import dev.tether.proxy.Route;
import dev.tether.reaper.ReapListener;
import dev.tether.reaper.Reaped;
import dev.tether.reaper.Reason;
import dev.tether.reaper.TiedContainer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what the proxy and the reaper do: the journal gets every container's story ({@link Records} builds each
 * record), the metrics count, and the status page keeps the last reaps. Journal records are built and written by
 * one thread of their own, never on the relay's event loop (a journal write may wait on the file lock), and in the
 * order they happened.
 */
final class Recorder implements ProxyEvents, ReapListener, AutoCloseable {

    private static final int RECENT = 10;
    private static final Pattern FULL_ID = Pattern.compile("[0-9a-f]{64}");

    private static final Logger log = LoggerFactory.getLogger(Recorder.class);

    private final JournalWriter journal;
    private final Metrics metrics;
    private final EngineClient engine;
    private final AtomicLong reaps = new AtomicLong();
    private final Deque<RecentReap> recent = new ArrayDeque<>();
    /**
     * The journal's one writer thread: records reach the file in the order they happened, and names in attach
     * requests are resolved to ids here (500 sessions opening at once must not open 500 engine connections).
     */
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("tether-journal").factory());

    /** A reap, with when it finished, for the status page. */
    record RecentReap(Instant at, Reaped reaped) {}

    Recorder(JournalWriter journal, Metrics metrics, EngineClient engine) {
        this.journal = journal;
        this.metrics = metrics;
        this.engine = engine;
    }

    private void record(Supplier<Records.Entry> entry) {
        write(() -> journal.record(entry.get()));
    }

    /** Hands a write to the writer thread; one that arrives after {@link #close} is dropped, as close says. */
    private void write(Runnable write) {
        try {
            writer.execute(write);
        } catch (RejectedExecutionException e) {
            log.debug("a journal record arrived after tether stopped recording");
        }
    }

    /** Writes what was handed over so far; later records are dropped. */
    @Override
    public void close() throws InterruptedException {
        writer.shutdown();
        writer.awaitTermination(5, TimeUnit.SECONDS);
    }

    // ---- the proxy

    @Override
    public void created(Created c) {
        metrics.created(c.decision().tie().label());
        record(() -> Records.created(c));
    }

    @Override
    public void sessionOpened(String container, Peer client) {
        recordSession(container, id -> Records.attach(id, client));
    }

    @Override
    public void stdinClosed(String container, Peer client) {
        recordSession(container, id -> Records.stdinClosed(id, client));
    }

    @Override
    public void sessionClosed(String container, Peer client, SessionEnd end) {
        recordSession(container, id -> Records.detach(id, client, end));
    }

    private void recordSession(String container, Function<String, Records.Entry> entry) {
        write(() -> {
            // The client may name a container by name or id prefix; the journal tells one story per id.
            String id = FULL_ID.matcher(container).matches() ? container
                    : engine.inspect(container).map(ContainerInfo::id).orElse(container);
            journal.record(entry.apply(id));
        });
    }

    @Override
    public void connectionOpened() {
        metrics.connectionOpened();
    }

    @Override
    public void requestSeen(Route route) {
        metrics.requestSeen(route);
    }

    @Override
    public void upstreamFailed() {
        metrics.upstreamFailed();
    }

    // ---- the reaper

    @Override
    public void deathNoticed(TiedContainer container, Reason reason, ProcessId dead) {
        Instant detected = Instant.now();
        record(() -> Records.death(container, reason, dead, detected));
    }

    @Override
    public void reaped(Reaped r) {
        reaps.incrementAndGet();
        metrics.reaped(r);
        synchronized (recent) {
            recent.addFirst(new RecentReap(Instant.now(), r));
            if (recent.size() > RECENT) {
                recent.removeLast();
            }
        }
        record(() -> Records.reaped(r));
    }

    @Override
    public void engineEvent(EngineEvent e) {
        write(() -> Records.engineEvent(e).ifPresent(journal::record));
    }

    Metrics metrics() {
        return metrics;
    }

    long reapsSinceStart() {
        return reaps.get();
    }

    List<RecentReap> recentReaps() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }
}
