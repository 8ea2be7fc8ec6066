package dev.tether.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.tether.labeler.Tie;
import dev.tether.daemon.Daemon;
import dev.tether.daemon.Settings;
import dev.tether.docker.EngineChoice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether up}: serve the substitute Docker socket and reap what its clients leave behind. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Serves the substitute Docker socket: labels and reaps what its clients create.",
                "Relays to the engine, labels every container created through it with its owner, and stops and",
                "removes tied containers whose owner, host or stdin session ends."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {" 1:tether could not start; the message says why.", " 2:bad options.",
                " " + Up.ALREADY_SERVED + ":another tether already serves the socket: it holds <socket>.lock, or"
                        + " something answers on the socket."})
final class Up implements Callable<Integer> {

    /** Exit code of {@code tether up} when another tether already serves the socket ({@link dev.tether.proxy.AlreadyServed}). */
    static final int ALREADY_SERVED = 4;

    @Mixin
    SocketOption socket;

    @Option(names = "--socket-group", paramLabel = "NAME",
            description = "Let this group connect too (mode 0660); by default only you can (0600).")
    String socketGroup;

    @Mixin
    EngineOption engine;

    @Option(names = "--tie", paramLabel = "MODE",
            description = "Force one tie mode for every container created on this socket: ${COMPLETION-CANDIDATES}.")
    Tie tie;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = Settings.GRACE, converter = DurationConverter.class,
            description = "Time a reaped container gets to stop before SIGKILL, unless its own StopTimeout says (default: ${DEFAULT-VALUE}).")
    Duration grace;

    @Option(names = "--sweep-interval", paramLabel = "DURATION", defaultValue = Settings.SWEEP_INTERVAL, converter = DurationConverter.class,
            description = "How often every tied container is checked again, besides the instant process watches (default: ${DEFAULT-VALUE}).")
    Duration sweepInterval;

    @Option(names = "--head-timeout", paramLabel = "DURATION", defaultValue = Settings.HEAD_TIMEOUT, converter = DurationConverter.class,
            description = "How long a client may take to finish a request head it began; never applies to streams (default: ${DEFAULT-VALUE}).")
    Duration headTimeout;

    @Option(names = "--drain", paramLabel = "DURATION", defaultValue = Settings.DRAIN, converter = DurationConverter.class,
            description = "On SIGTERM, how long open sessions and requests under way may go on (default: ${DEFAULT-VALUE}).")
    Duration drain;

    @Mixin
    McpOption mcp;

    @Option(names = "--guard-cgroup", paramLabel = "PATH|auto|none", defaultValue = Settings.GUARD_CGROUP,
            description = {"Where each `tether run` server gets a cgroup, which holds its whole tree: auto (default: the cgroup v2",
                    "root's tether folder, if tether may write there, as root may), a cgroup v2 folder delegated to you, or none",
                    "(the TETHER_GUARD marker and the server's children alone find its processes)."})
    String guardCgroup;

    @Option(names = "--audit-log", paramLabel = "PATH",
            description = "The audit journal (default: $XDG_STATE_HOME/tether/audit.jsonl, else ~/.local/state/tether/audit.jsonl).")
    Path auditLog;

    @Option(names = "--allow-uid", paramLabel = "UID", split = ",",
            description = "Only these users (and you) may connect, checked by each connection's uid; others get a 403.")
    List<Integer> allowUids;

    @Option(names = "--tcp", paramLabel = "HOST:PORT",
            description = "Also listen on TCP; an address other than loopback needs --tls-cert, --tls-key and --tls-ca.")
    String tcp;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain tether presents on --tcp.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "PEM CA that must sign every --tcp client's certificate.")
    Path tlsCa;

    @Option(names = {"-v", "--verbose"}, description = "Log every connection and decision.")
    boolean verbose;

    /** The launcher's AOT training: start, answer a few requests of each kind, stop (see {@link Training}). */
    @Option(names = "--training-run", hidden = true)
    boolean trainingRun;

    @Override
    public Integer call() throws Exception {
        if (verbose) {
            ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("dev.tether").setLevel(Level.DEBUG);
        }
        Path path = socket.path();
        EngineChoice choice = engine.choice(path);
        Logger log = LoggerFactory.getLogger(Up.class);
        choice.warnings().forEach(log::warn);
        log.info("engine: {}, chosen by {}", choice.endpoint().uri(), choice.why());
        choice.tls().ifPresent(tls -> log.info("engine: {}", tls));
        Settings settings = new Settings(path, Optional.ofNullable(socketGroup), choice,
                Optional.ofNullable(tie), grace, sweepInterval, headTimeout, drain, mcp.resolve(),
                auditLog != null ? auditLog : UserDirs.current().defaultJournal(), Access.allowedUids(allowUids),
                Access.tcp(tcp, tlsCert, tlsKey, tlsCa), !trainingRun, guardCgroup);
        Daemon daemon = Daemon.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::stop, "tether-shutdown"));
        System.out.println("export DOCKER_HOST=unix://" + path);
        System.out.flush();
        if (trainingRun) {
            Training.exercise(path, daemon.controlSocket());
            return 0;
        }
        daemon.awaitStopped();
        return 0;
    }
}
