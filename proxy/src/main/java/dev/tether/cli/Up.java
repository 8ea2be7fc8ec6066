package dev.tether.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.tether.docker.EngineClient;
import dev.tether.labeler.TetherLabels;
import dev.tether.labeler.Tie;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.proxy.AllowedUids;
import dev.tether.proxy.ControlServer;
import dev.tether.proxy.ControlServer.Reply;
import dev.tether.proxy.DockerProxy;
import dev.tether.proxy.ProxyConfig;
import dev.tether.reaper.AuditJournal;
import dev.tether.reaper.ProcessWatcher;
import dev.tether.reaper.Processes;
import dev.tether.reaper.Reaper;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether up}: serve the substitute Docker socket and reap what its clients leave behind. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Serves the substitute Docker socket: labels and reaps what its clients create.",
                "Relays to the engine, labels every container created through it with its owner, and stops and",
                "removes tied containers whose owner, host or stdin session ends."})
final class Up implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(Up.class);

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

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "3s",
            description = "Time a reaped container gets to stop before SIGKILL, unless its own StopTimeout says (default: ${DEFAULT-VALUE}).")
    String grace;

    @Option(names = "--sweep-interval", paramLabel = "DURATION", defaultValue = "30s",
            description = "How often every tied container is checked again, besides the instant process watches (default: ${DEFAULT-VALUE}).")
    String sweepInterval;

    @Option(names = "--head-timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "How long a client may take to finish a request head it began; never applies to streams (default: ${DEFAULT-VALUE}).")
    String headTimeout;

    @Option(names = "--drain", paramLabel = "DURATION", defaultValue = "10s",
            description = "On SIGTERM, how long open sessions and requests under way may go on (default: ${DEFAULT-VALUE}).")
    String drain;

    @Mixin
    McpOption mcp;

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
        Instant startedAt = Instant.now();
        Duration drainFor = Durations.parse(drain);
        // Linking the pidfd calls takes a tenth of start-up: done meanwhile, so the socket answers sooner.
        var watcherReady = CompletableFuture.supplyAsync(ProcessWatcher::create,
                runnable -> Thread.ofPlatform().daemon().name("tether-start").start(runnable));
        Path path = socket.path();
        Path controlPath = ControlServer.socketFor(path);
        var config = Access.apply(new ProxyConfig(path, Optional.ofNullable(socketGroup), engine.resolve(path),
                Optional.ofNullable(tie), Durations.parse(headTimeout), mcp.resolve(), AllowedUids.ANYONE, Optional.empty()),
                allowUids, tcp, tlsCert, tlsKey, tlsCa);
        String instance = TetherLabels.instance(Processes.self());
        config.mcpDefaults().ifPresent(d -> log.info("stdio sessions get Init, no-new-privileges{}{} unless they set their own",
                d.memory() > 0 ? ", Memory " + d.memory() : "", d.nanoCpus() > 0 ? ", NanoCpus " + d.nanoCpus() : ""));

        EngineClient client = EngineClient.connect(config.upstream());
        AuditJournal journal = new AuditJournal(auditLog != null ? auditLog : AuditJournal.defaultPath());
        AtomicReference<DockerProxy> proxyRef = new AtomicReference<>();
        Metrics metrics = new Metrics(() -> proxyRef.get() == null ? 0 : proxyRef.get().openConnections(), journal::dropped);
        Witness witness = new Witness(journal, metrics, client);
        ProcessWatcher watcher = watcherReady.join();
        Reaper reaper = new Reaper(client, watcher, instance, Durations.parse(grace), witness);
        witness.reportTo(reaper);
        DockerProxy proxy = DockerProxy.start(config, witness);
        proxyRef.set(proxy);
        AutoCloseable claim = proxy.takeClaim();
        ControlServer control;
        try {
            control = ControlServer.start(controlPath, config.socketGroup(), config.allowedUids(), Map.of(
                    "/sessions", () -> Reply.json(sessionsJson(proxy)),
                    "/status", () -> Reply.json(statusJson(startedAt, path, controlPath, proxy, config, instance, client,
                            journal, witness)),
                    "/metrics", () -> Reply.text("text/plain; version=0.0.4; charset=utf-8", metrics.scrape())));
        } catch (RuntimeException | java.io.IOException e) {
            proxy.close();
            claim.close();
            throw e;
        }
        if (!trainingRun) { // a training run must never reap: it may run beside a user's own tether
            reaper.start(Durations.parse(sweepInterval));
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: no new connections; open sessions may finish");
            // The reaper goes first: connections closed by tether's own shutdown end no session.
            reaper.close();
            proxy.drain(drainFor);
            control.close();
            try (claim; watcher; client; journal) { // closed last to first: the claim last, once both sockets are gone
                stopped.countDown();
            } catch (Exception e) {
                log.debug("closing: {}", e.toString());
            }
        }, "tether-shutdown"));
        System.out.println("export DOCKER_HOST=unix://" + path);
        System.out.flush();
        if (trainingRun) {
            Training.exercise(path, controlPath);
            return 0;
        }
        stopped.await();
        return 0;
    }

    private static JsonNode sessionsJson(DockerProxy proxy) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        var list = body.putArray("sessions");
        proxy.liveSessions().forEach(s -> list.addObject()
                .put("container", s.getKey())
                .put("pid", s.getValue().process().pid())
                .put("start", s.getValue().process().startTicks()));
        return body;
    }

    private static JsonNode statusJson(Instant startedAt, Path socket, Path control, DockerProxy proxy,
                                       ProxyConfig config, String instance,
                                       EngineClient client, AuditJournal journal, Witness witness) {
        ObjectNode s = JsonNodeFactory.instance.objectNode()
                .put("pid", ProcessHandle.current().pid())
                .put("instance", instance)
                .put("startedAt", startedAt.toString())
                .put("socket", socket.toString())
                .put("control", control.toString())
                .put("upstream", config.upstream().uri())
                .put("journal", journal.path().toString())
                .put("journalDropped", journal.dropped());
        proxy.tcpUri().ifPresent(uri -> s.putObject("tcp").put("uri", uri)
                .put("tls", config.tcp().flatMap(t -> t.tls()).isPresent()));
        config.mcpDefaults().ifPresent(d -> s.putObject("mcpDefaults").put("memory", d.memory()).put("nanoCpus", d.nanoCpus()));
        ObjectNode tied = s.putObject("tied");
        try {
            client.labelsOfContainersLabelled(TetherLabels.TIE).values().forEach(labels -> {
                String mode = labels.getOrDefault(TetherLabels.TIE, "?");
                tied.put(mode, tied.path(mode).asLong() + 1);
            });
        } catch (RuntimeException e) {
            s.put("tiedError", "the engine did not answer: " + e.getMessage());
        }
        s.put("reapsSinceStart", witness.reapsSinceStart());
        var recent = s.putArray("recentReaps");
        witness.recentReaps().forEach(r -> recent.addObject()
                .put("at", r.at().toString())
                .put("container", r.reaped().container().id())
                .put("name", r.reaped().container().info().name())
                .put("reason", r.reaped().reason().code())
                .put("noticeToGoneMs", r.reaped().noticeToGone().toMillis()));
        return s;
    }
}
