package dev.tether.daemon;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.docker.ContainerInfo;
import dev.tether.docker.EngineClient;
import dev.tether.docker.EngineEvent;
import dev.tether.labeler.ProcessId;
import dev.tether.proxy.Peer;
import dev.tether.proxy.ProxyEvents;
import dev.tether.proxy.Route;
import dev.tether.journal.AuditJournal;
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
import java.util.concurrent.TimeUnit;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records what the proxy and the reaper do: the journal gets every container's story, the metrics count, and the
 * status page keeps the last reaps. Journal records are written by one thread of their own, never on the relay's
 * event loop (a journal write may wait on the file lock), and in the order they happened.
 */
final class Recorder implements ProxyEvents, ReapListener, AutoCloseable {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final int RECENT = 10;

    private final AuditJournal journal;
    private final Metrics metrics;
    private final EngineClient engine;
    private final AtomicLong reaps = new AtomicLong();
    private final Deque<RecentReap> recent = new ArrayDeque<>();

    /** A reap, with when it finished, for the status page. */
    record RecentReap(Instant at, Reaped reaped) {}
    /**
     * The journal's one writer thread: records reach the file in the order they happened, and names in attach
     * requests are resolved to ids here (500 sessions opening at once must not open 500 engine connections).
     */
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("tether-journal").factory());
    private static final Pattern FULL_ID = Pattern.compile("[0-9a-f]{64}");

    Recorder(AuditJournal journal, Metrics metrics, EngineClient engine) {
        this.journal = journal;
        this.metrics = metrics;
        this.engine = engine;
    }

    private void record(String event, String containerId, ObjectNode details) {
        writer.execute(() -> journal.record(event, containerId, details));
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
        ObjectNode d = JSON.objectNode();
        d.put("name", c.name());
        d.set("owner", process(c.owner().process()).put("uid", c.owner().uid()).set("command", commandOf(c.owner())));
        d.set("host", process(c.host()));
        d.put("tie", c.decision().tie().label());
        d.put("why", c.decision().choice().why());
        ObjectNode changed = d.putObject("changed");
        c.decision().labels().forEach((k, v) -> changed.with("labels").put(k, v));
        var defaults = c.decision().mcpDefaultsSet();
        if (defaults.init()) {
            changed.put("HostConfig.Init", true);
        }
        if (defaults.noNewPrivileges()) {
            changed.putObject("HostConfig.SecurityOpt").putArray("added").add("no-new-privileges");
        }
        defaults.memory().ifPresent(bytes -> changed.put("HostConfig.Memory", bytes));
        defaults.nanoCpus().ifPresent(nanos -> changed.put("HostConfig.NanoCpus", nanos));
        record("create", c.containerId(), d);
    }

    @Override
    public void sessionOpened(String container, Peer client) {
        recordSession("attach", container, client, JSON.objectNode());
    }

    @Override
    public void stdinClosed(String container, Peer client) {
        recordSession("stdin-closed", container, client, JSON.objectNode());
    }

    @Override
    public void sessionClosed(String container, Peer client, SessionEnd end) {
        recordSession("detach", container, client, JSON.objectNode().put("by", end.label()));
    }

    private void recordSession(String event, String container, Peer client, ObjectNode details) {
        details.set("client", process(client.process()));
        writer.execute(() -> {
            // The client may name a container by name or id prefix; the journal tells one story per id.
            String id = FULL_ID.matcher(container).matches() ? container
                    : engine.inspect(container).map(ContainerInfo::id).orElse(container);
            journal.record(event, id, details);
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
        ObjectNode d = process(dead).put("detected", Instant.now().toString());
        record(reason == Reason.SESSION_ENDED ? "session-ended" : reason.code(), container.id(), d);
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
        record("reap", r.container().id(), JSON.objectNode()
                .put("reason", r.reason().code())
                .put("graceSeconds", r.grace().toSeconds())
                .put("stopped", r.stopped().name().toLowerCase(Locale.ROOT))
                .put("removed", r.removed().name().toLowerCase(Locale.ROOT))
                .put("noticeToGoneMs", r.noticeToGone().toMillis()));
    }

    @Override
    public void engineEvent(EngineEvent e) {
        String action = e.action().startsWith("exec_") ? "" : e.action();
        ObjectNode d = JSON.objectNode();
        switch (action) {
            case "start", "destroy", "oom" -> { }
            case "die" -> d.put("exitCode", e.attributes().getOrDefault("exitCode", ""));
            case "kill" -> d.put("signal", e.attributes().getOrDefault("signal", ""));
            default -> {
                return;
            }
        }
        record(action, e.containerId(), d);
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

    private static ObjectNode process(ProcessId p) {
        return JSON.objectNode().put("pid", p.pid()).put("exe", p.exe());
    }

    /**
     * The command line with every environment value cut: MCP configs pass tokens as {@code -e NAME=value}, and
     * secrets never reach the journal. Long arguments (an SDK JVM's classpath) are shortened.
     */
    static com.fasterxml.jackson.databind.node.ArrayNode commandOf(Peer peer) {
        var array = JSON.arrayNode();
        boolean envValueNext = false;
        for (String arg : peer.command()) {
            String kept;
            if (envValueNext) {
                kept = withoutValue(arg);
                envValueNext = false;
            } else if (arg.equals("--env") || SHORT_ENV_FLAG.matcher(arg).matches()) {
                // -e, and a cluster of short flags ending in e (-ie, -ite): the next argument is NAME=value
                kept = arg;
                envValueNext = true;
            } else if (arg.startsWith("--env=")) {
                kept = "--env=" + withoutValue(arg.substring("--env=".length()));
            } else if (SHORT_ENV_ATTACHED.matcher(arg).matches() || SECRETISH.matcher(arg).find()) {
                kept = withoutValue(arg);
            } else {
                kept = arg;
            }
            array.add(kept.length() > MAX_ARG ? kept.substring(0, MAX_ARG) + "…" : kept);
        }
        return array;
    }

    private static final int MAX_ARG = 256;
    private static final java.util.regex.Pattern SHORT_ENV_FLAG = java.util.regex.Pattern.compile("-[A-Za-z]*e");
    private static final java.util.regex.Pattern SHORT_ENV_ATTACHED = java.util.regex.Pattern.compile("-[A-Za-z]*e[^=]*=.*");
    private static final java.util.regex.Pattern SECRETISH =
            java.util.regex.Pattern.compile("(?i)(token|secret|passw|key|auth|credential)[^=]*=");

    private static String withoutValue(String assignment) {
        int eq = assignment.indexOf('=');
        return eq < 0 ? assignment : assignment.substring(0, eq + 1) + "***";
    }
}
