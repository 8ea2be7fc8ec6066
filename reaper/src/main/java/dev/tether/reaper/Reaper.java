package dev.tether.reaper;

import dev.tether.docker.ContainerInfo;
import dev.tether.docker.EngineClient;
import dev.tether.docker.EngineEvent;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import dev.tether.labeler.Tie;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.tether.process.ProcessWatcher;

/**
 * Stops and removes tied containers whose owner, host or stdin session has ended. A container is learnt from the
 * engine's create event (or a sweep); the processes it is tied to are then watched with pidfds, so a death is
 * acted on within milliseconds. Every decision is made again from fresh labels before anything is touched.
 */
public final class Reaper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Reaper.class);
    /** How soon a sweep follows a judgement or reap the engine did not answer, and again while it does not. */
    private static final Duration CATCH_UP = Duration.ofSeconds(1);

    private final EngineClient engine;
    private final ProcessWatcher watcher;
    private final Judge judge;
    private final Duration grace;
    private final ReapListener listener;
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private final Set<String> reaping = ConcurrentHashMap.newKeySet();
    /** A catch-up sweep is scheduled: a judgement or a reap failed because the engine did not answer. */
    private final AtomicBoolean catchUpScheduled = new AtomicBoolean();
    private final Waiters waiters = new Waiters();
    private volatile ScheduledExecutorService sweeps;
    private Closeable events;
    private volatile boolean closed;

    /**
     * @param self     the instance label of the tether this reaper serves
     * @param grace    how long a container may take to stop before SIGKILL, unless its own StopTimeout says
     * @param listener told of every death and reap, for the journal, the metrics and the status page
     */
    public Reaper(EngineClient engine, ProcessWatcher watcher, String self, Duration grace, ReapListener listener) {
        this.engine = engine;
        this.watcher = watcher;
        this.judge = Judge.ofThisMachine(self);
        this.grace = grace;
        this.listener = listener;
    }

    /**
     * Follows the engine's events, sweeps once to catch up with what happened while no tether ran, then sweeps
     * every {@code interval} to cover what events cannot (an engine restart, a missed event).
     */
    public void start(Duration interval) {
        events = engine.followContainerEvents(Instant.now(), this::onEvent);
        sweeps = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("tether-sweep").unstarted(r));
        sweeps.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                if (!closed) { // tether's own shutdown interrupts a sweep under way: nothing failed
                    log.warn("sweep failed: {}", e.toString());
                }
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void onEvent(EngineEvent event) {
        if (!event.attributes().containsKey(TetherLabels.TIE)) {
            return;
        }
        listener.engineEvent(event);
        switch (event.action()) {
            case "create" -> submit(() -> consider(event.containerId(), System.nanoTime()));
            case "destroy" -> {
                watched.remove(event.containerId());
                waiters.forget(event.containerId());
            }
            default -> { }
        }
    }

    /** One pass over every container tether labelled: reap what is due, watch the rest. */
    private void sweep() {
        long noticed = System.nanoTime();
        for (Swept swept : judgeAll()) {
            act(swept.container(), swept.verdict(), noticed);
        }
    }

    /**
     * One pass for {@code tether sweep}: returns once every due container is reaped (or, with {@code dryRun},
     * only says what is due).
     */
    public List<Swept> sweepNow(boolean dryRun) {
        return sweepNow(dryRun, List.of());
    }

    /** {@link #sweepNow(boolean)} for the tied containers that also carry every one of {@code labels} only. */
    public List<Swept> sweepNow(boolean dryRun, List<String> labels) {
        List<Swept> report = judgeAll(labels);
        if (!dryRun) {
            long noticed = System.nanoTime();
            for (Swept swept : report) {
                if (swept.verdict() instanceof Verdict.Reap reap) {
                    reap(swept.container(), reap, noticed);
                }
            }
        }
        return report;
    }

    private List<Swept> judgeAll() {
        return judgeAll(List.of());
    }

    private List<Swept> judgeAll(List<String> labels) {
        List<Swept> report = new ArrayList<>();
        List<String> filter = new ArrayList<>(labels);
        filter.add(TetherLabels.TIE);
        for (String id : engine.containersLabelled(filter)) {
            engine.inspect(id).flatMap(TiedContainer::of).ifPresent(c -> report.add(new Swept(c, judge.judge(c))));
        }
        return report;
    }

    /** A container and what a sweep decided for it. */
    public record Swept(TiedContainer container, Verdict verdict) {}

    /**
     * The proxy saw the stdin-attached stream of {@code client} to {@code containerRef} end. Only the owner's own
     * session counts: another shell's {@code docker attach} detaching ends nothing.
     */
    public void sessionEnded(String containerRef, ProcessId client) {
        long noticed = System.nanoTime();
        submit(() -> {
            Optional<TiedContainer> tied = engine.inspect(containerRef).flatMap(TiedContainer::of);
            if (tied.isEmpty() || tied.get().tie() != Tie.SESSION || !tied.get().info().isRunning()) {
                return;
            }
            ProcessId owner = tied.get().owner();
            if (owner.isKnown() && owner.pid() == client.pid() && owner.startTicks() == client.startTicks()) {
                reap(tied.get(), new Verdict.Reap(Reason.SESSION_ENDED, owner), noticed);
            }
        });
    }

    private void consider(String id, long noticed) {
        try {
            engine.inspect(id).flatMap(TiedContainer::of).ifPresent(c -> act(c, judge.judge(c), noticed));
        } catch (RuntimeException e) {
            if (EngineClient.unreachable(e)) {
                log.warn("could not judge container {}: {}; judging every container again once the engine answers",
                        id, e.toString());
                catchUpSoon();
            } else {
                log.warn("could not judge container {}: {}", id, e.toString());
            }
        }
    }

    /**
     * A death noticed while the engine is unreachable (restarting, say) must not wait for the next periodic sweep,
     * nor be forgotten: the watch that saw it has fired and is gone. A sweep runs every {@link #CATCH_UP} until one
     * gets through; it judges everything from fresh labels, so it reaps exactly what is due by then. An engine that
     * answers with an error is left to the periodic sweep, so a refusal is not retried every second.
     */
    private void catchUpSoon() {
        if (closed || sweeps == null || !catchUpScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            sweeps.schedule(() -> {
                catchUpScheduled.set(false);
                try {
                    sweep();
                } catch (RuntimeException e) {
                    if (EngineClient.unreachable(e)) {
                        catchUpSoon(); // still down
                    } else {
                        log.warn("sweep failed: {}", e.toString());
                    }
                }
            }, CATCH_UP.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            catchUpScheduled.set(false); // shutting down
        }
    }

    private void act(TiedContainer c, Verdict verdict, long noticed) {
        switch (verdict) {
            case Verdict.Reap reap -> submit(() -> reap(c, reap, noticed));
            case Verdict.Watch w -> watch(c);
            case Verdict.Spare spare -> { }
        }
    }

    /** Watches what the container is tied to; each death sends it back to the judge. */
    private void watch(TiedContainer c) {
        if (c.tie() == Tie.NONE || !watched.add(c.id())) {
            return;
        }
        for (ProcessId p : c.tiedTo()) {
            if (p.isKnown() && waiters.add(p, c.id())) {
                watcher.onExit(p, () -> ended(p));
            }
        }
    }

    /** A watched process has ended: every container still waiting on it goes back to the judge. */
    private void ended(ProcessId process) {
        long noticed = System.nanoTime();
        for (String id : waiters.ended(process)) {
            watched.remove(id);
            submit(() -> consider(id, noticed));
        }
    }

    private void reap(TiedContainer seen, Verdict.Reap verdict, long noticed) {
        String id = seen.id();
        if (!reaping.add(id)) {
            return; // a second trigger for a reap under way
        }
        try {
            // Labels are read again: only what still carries this verdict's tie is touched.
            Optional<TiedContainer> now = engine.inspect(id).flatMap(TiedContainer::of);
            if (now.isEmpty() || now.get().tie() == Tie.NONE || !now.get().instance().equals(seen.instance())) {
                return;
            }
            ContainerInfo info = now.get().info();
            Duration stopGrace = info.stopGrace(grace);
            listener.deathNoticed(now.get(), verdict.reason(), verdict.dead());
            long stopRequested = System.nanoTime();
            EngineClient.Stopped stopped = engine.stop(id, stopGrace);
            EngineClient.Removed removed = engine.remove(id);
            Reaped reaped = new Reaped(now.get(), verdict.reason(), verdict.dead(), stopGrace, stopped, removed,
                    noticed, stopRequested, System.nanoTime());
            if (!reaped.didSomething()) {
                log.debug("{} had already ended by itself", info.shortId());
                return;
            }
            log.info("reaped {} ({}, {}): {} (pid {}{}); gone {} ms after notice", info.shortId(), info.name(),
                    info.image(), verdict.reason().sentence(), verdict.dead().pid(),
                    verdict.dead().exe().isEmpty() ? "" : ", " + verdict.dead().exeName(),
                    reaped.noticeToGone().toMillis());
            listener.reaped(reaped);
        } catch (RuntimeException e) {
            log.warn("could not reap {}: {}", seen.info().shortId(), e.toString());
            if (EngineClient.unreachable(e)) {
                catchUpSoon(); // the engine went away meanwhile: try again as soon as it is back
            }
        } finally {
            reaping.remove(id);
            watched.remove(id);
        }
    }

    /** Work arriving while tether shuts down is dropped: its own shutdown must end no container. */
    private void submit(Runnable task) {
        if (!closed) {
            try {
                work.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                log.debug("dropped work at shutdown");
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (sweeps != null) {
            sweeps.shutdownNow();
        }
        try {
            if (events != null) {
                events.close();
            }
        } catch (IOException e) {
            log.debug("closing the event stream: {}", e.toString());
        }
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
