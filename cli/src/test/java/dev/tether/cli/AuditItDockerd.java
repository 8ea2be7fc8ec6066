package dev.tether.cli;

import dev.tether.docker.PrivateDockerd;
import dev.tether.proxy.Cli;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A private dockerd of the test's own ({@link PrivateDockerd}, from the docker module's test kit: its own data root,
 * exec root, socket and network namespace, stopped, unmounted and deleted when closed), with this suite's docker CLI
 * runner.
 */
final class AuditItDockerd implements AutoCloseable {

    private final PrivateDockerd engine;

    private AuditItDockerd(PrivateDockerd engine) {
        this.engine = engine;
    }

    /** Starts dockerd and waits until it answers; see {@link PrivateDockerd#start(Duration)}. */
    static AuditItDockerd start(Duration timeout) {
        return new AuditItDockerd(PrivateDockerd.start(timeout));
    }

    /** As {@link #start(Duration)}, with more dockerd options, given again at every {@link #launch()}. */
    static AuditItDockerd start(Duration timeout, List<String> extraArgs) {
        return new AuditItDockerd(PrivateDockerd.start(timeout, extraArgs));
    }

    /** The machine's {@code docker0} interface index; empty when there is none. */
    static Optional<String> hostBridge() {
        return PrivateDockerd.hostBridge();
    }

    Path dir() {
        return engine.dir();
    }

    Path socket() {
        return engine.socket();
    }

    /** {@code unix://…/docker.sock}: for {@code --upstream} and {@code docker -H}. */
    String uri() {
        return engine.uri();
    }

    Optional<ProcessHandle> process() {
        return engine.process();
    }

    /** The docker CLI, speaking to this engine directly. */
    Cli cli() {
        return new Cli(Cli.NEW, engine.socket());
    }

    String logTail() {
        return engine.logTail();
    }

    void launch() {
        engine.launch();
    }

    boolean answers() {
        return engine.answers();
    }

    void awaitAnswers(Duration timeout) {
        engine.awaitAnswers(timeout);
    }

    void stop(Duration timeout) {
        engine.stop(timeout);
    }

    void loadImage(String image, String fromUri, Duration timeout) {
        engine.loadImage(image, fromUri, timeout);
    }

    @Override
    public void close() {
        engine.close();
    }
}
