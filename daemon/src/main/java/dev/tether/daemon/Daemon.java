package dev.tether.daemon;

import dev.tether.docker.Endpoint;
import dev.tether.docker.EngineClient;
import dev.tether.docker.SshBridge;
import dev.tether.guard.Guards;
import dev.tether.journal.JournalWriter;
import dev.tether.labeler.Instance;
import dev.tether.process.ProcessWatcher;
import dev.tether.process.Processes;
import dev.tether.proxy.ControlServer;
import dev.tether.proxy.ControlServer.Reply;
import dev.tether.proxy.DockerProxy;
import dev.tether.reaper.Reaper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code tether up}: the relay on the substitute socket, the reaper, the journal, the metrics and the
 * control socket, started in that order and stopped in the order that loses nothing (see {@link #stop}).
 */
public final class Daemon {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Settings settings;
    private final Instant startedAt = Instant.now();
    private final Instance instance;
    private final EngineClient engine;
    private final JournalWriter journal;
    private final Recorder recorder;
    private final ProcessWatcher watcher;
    private final Reaper reaper;
    private final DockerProxy proxy;
    private Optional<SshBridge> sshBridge = Optional.empty();
    private final AutoCloseable claim;
    /** The `tether run` servers' guards: none in the launcher's training run, which must never stop anything. */
    private Guards guards;
    private Guards.Prepared guardsReady;
    private ControlServer control;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Daemon(Settings settings) throws Exception {
        this.settings = settings;
        // Linking the pidfd calls is a noticeable part of start-up: done meanwhile, so the socket answers sooner.
        watcher = ProcessWatcher.createInBackground();
        instance = Instance.of(Processes.self());
        settings.mcpDefaults().ifPresent(d -> log.info("stdio sessions get Init, no-new-privileges{}{} unless they set their own",
                d.memory() > 0 ? ", Memory " + d.memory() : "", d.nanoCpus() > 0 ? ", NanoCpus " + d.nanoCpus() : ""));
        engine = EngineClient.connect(settings.upstream());
        journal = new JournalWriter(settings.auditLog());
        Metrics metrics = new Metrics(journal::dropped);
        recorder = new Recorder(journal, metrics, engine);
        reaper = new Reaper(engine, watcher, instance.label(), settings.grace(), recorder);
        try {
            // An ssh engine is reached as the docker CLI reaches it, an ssh per connection, through a socket of
            // tether's own beside its Docker socket (the same private folder), opened once that folder passed its checks.
            Path bridgeSocket = settings.socket().resolveSibling(settings.socket().getFileName() + ".ssh");
            Endpoint reachedAt = settings.upstream() instanceof Endpoint.Ssh ? new Endpoint.Unix(bridgeSocket) : settings.upstream();
            proxy = DockerProxy.start(settings.proxy(reachedAt), new SessionRule(reaper, recorder), () -> {
                if (settings.upstream() instanceof Endpoint.Ssh ssh) {
                    sshBridge = Optional.of(SshBridge.open(ssh, bridgeSocket));
                }
                if (settings.reaps()) {
                    guardsReady = Guards.prepare(settings.socket(), settings.guardCgroup());
                }
            });
        } catch (Exception | Error e) {
            // Another tether's socket, or one that cannot be served: what was started for it goes too.
            closeQuietly(recorder, journal, engine, watcher);
            sshBridge.ifPresent(SshBridge::close);
            throw e;
        }
        metrics.countOpenConnections(proxy::openConnections);
        claim = proxy.takeClaim();
    }

    private static void closeQuietly(AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                log.debug("closing after a failed start: {}", e.toString());
            }
        }
    }

    /**
     * Claims the socket, serves it and the control socket, and (unless {@link Settings#reaps} is false) starts
     * reaping. Fails, leaving nothing behind, when the socket is another tether's or cannot be served.
     */
    public static Daemon start(Settings settings) throws Exception {
        Daemon daemon = new Daemon(settings);
        daemon.serveControl();
        if (settings.reaps()) {
            daemon.reaper.start(settings.sweepInterval());
            daemon.guard();
        }
        return daemon;
    }

    /** After the socket is claimed: the guards' folder sits beside it, and only its tether may take guards over. */
    private void guard() throws IOException {
        try {
            guards = Guards.start(guardsReady, settings.grace(), watcher);
        } catch (IOException | RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** The guards of `tether run` servers, when this tether guards them. */
    java.util.Optional<Guards> guards() {
        return java.util.Optional.ofNullable(guards);
    }

    private void serveControl() throws Exception {
        try {
            control = ControlServer.start(controlSocket(), settings.socketGroup(), settings.allowedUids(), Map.of(
                    "/sessions", () -> Reply.json(StatusPage.sessions(proxy)),
                    "/status", () -> Reply.json(StatusPage.status(this)),
                    "/metrics", () -> Reply.text("text/plain; version=0.0.4; charset=utf-8", recorder.metrics().scrape())));
        } catch (RuntimeException | IOException e) {
            proxy.close();
            sshBridge.ifPresent(SshBridge::close);
            closeQuietly(claim, recorder, journal, engine, watcher);
            throw e;
        }
    }

    /**
     * Stops in the order that loses nothing: the reaper and the guards first (connections that tether's own shutdown closes end
     * no session), then the relay drains for {@link Settings#drain}, then the control socket closes, the journal
     * writes what it was handed, and the socket's claim goes last, once both sockets are gone. Idempotent.
     */
    public void stop() {
        if (!stopping.compareAndSet(false, true)) {
            awaitStopped();
            return;
        }
        log.info("stopping: no new connections; open sessions may finish");
        reaper.close();
        if (guards != null) {
            guards.close(); // stops watching only: guard files stay for the next tether, which takes them over
        }
        proxy.drain(settings.drain());
        control.close();
        sshBridge.ifPresent(SshBridge::close);
        try (claim; watcher; engine; journal; recorder) { // closed last to first
            log.debug("stopped");
        } catch (Exception e) {
            log.debug("closing: {}", e.toString());
        } finally {
            stopped.countDown();
        }
    }

    /** Blocks until {@link #stop} has finished. */
    public void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Path socket() {
        return settings.socket();
    }

    public Path controlSocket() {
        return ControlServer.socketFor(settings.socket());
    }

    Settings settings() {
        return settings;
    }

    Instant startedAt() {
        return startedAt;
    }

    Instance instance() {
        return instance;
    }

    DockerProxy proxy() {
        return proxy;
    }

    EngineClient engine() {
        return engine;
    }

    JournalWriter journal() {
        return journal;
    }

    Recorder recorder() {
        return recorder;
    }
}
