package dev.tether.journal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.docker.EngineEvent;
import dev.tether.labeler.CreateDecision;
import dev.tether.labeler.ProcessId;
import dev.tether.proxy.Peer;
import dev.tether.proxy.ProxyEvents;
import dev.tether.reaper.Reaped;
import dev.tether.reaper.Reason;
import dev.tether.reaper.TiedContainer;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * The journal's schema: every record tether writes is built here. A record is one JSON object a line; the writer
 * adds {@code time} (UTC, milliseconds), {@code container} (the full id) and {@code event}, then these fields
 * (a process is {@code {"pid":…,"exe":…}}):
 * <table>
 * <caption>records by event</caption>
 * <tr><th>event</th><th>from</th><th>fields</th></tr>
 * <tr><td>{@code create}</td><td>the proxy</td><td>{@code name}; {@code owner}: the client's process with
 *     {@code uid} and {@code command} ({@link Redaction#command redacted}); {@code host}: a process; {@code tie};
 *     {@code why}: the rule that chose the tie, in words; {@code changed}: {@code labels}, {@code HostConfig.Init},
 *     {@code HostConfig.SecurityOpt.added}, {@code HostConfig.Memory}, {@code HostConfig.NanoCpus}, each only
 *     if tether set it</td></tr>
 * <tr><td>{@code attach}, {@code stdin-closed}</td><td>the proxy</td><td>{@code client}: a process</td></tr>
 * <tr><td>{@code detach}</td><td>the proxy</td><td>{@code by}: {@code client}, {@code engine} or {@code tether};
 *     {@code client}</td></tr>
 * <tr><td>{@code owner-exit}, {@code host-exit}, {@code session-ended}</td><td>the reaper</td><td>the dead
 *     process's {@code pid} and {@code exe}, {@code detected}: when its death was noticed (ISO-8601)</td></tr>
 * <tr><td>{@code reap}</td><td>the reaper</td><td>{@code reason} (one of the three above), {@code graceSeconds},
 *     {@code stopped} ({@code stopped}, {@code was_not_running}, {@code gone}), {@code removed}
 *     ({@code removed}, {@code already_gone}, or {@code in_progress} when the client's own AutoRemove got there
 *     first), {@code noticeToGoneMs}</td></tr>
 * <tr><td>{@code start}, {@code oom}, {@code destroy}; {@code die}; {@code kill}</td><td>the engine's
 *     events</td><td>{@code die}: {@code exitCode}; {@code kill}: {@code signal} (both strings, as the engine
 *     says them)</td></tr>
 * </table>
 * docs/journal.md tells users the same; change both together.
 */
public final class Records {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private Records() {}

    /** One record before the writer stamps it: what happened to which container, and the details. */
    public record Entry(String event, String containerId, ObjectNode details) {}

    /** A container the proxy created, with who asked and what tether changed in the request. */
    public static Entry created(ProxyEvents.Created c) {
        ObjectNode d = JSON.objectNode();
        d.put("name", c.name());
        d.set("owner", client(c.owner()).put("uid", c.owner().uid()).set("command", command(c.owner())));
        d.set("host", process(c.host()));
        d.put("tie", c.decision().tie().label());
        d.put("why", c.decision().choice().why());
        d.set("changed", changed(c.decision()));
        return new Entry("create", c.containerId(), d);
    }

    private static ObjectNode changed(CreateDecision.Forward decision) {
        ObjectNode changed = JSON.objectNode();
        decision.labels().forEach((k, v) -> changed.with("labels").put(k, v));
        CreateDecision.McpDefaultsSet defaults = decision.mcpDefaultsSet();
        if (defaults.init()) {
            changed.put("HostConfig.Init", true);
        }
        if (defaults.noNewPrivileges()) {
            changed.putObject("HostConfig.SecurityOpt").putArray("added").add("no-new-privileges");
        }
        defaults.memory().ifPresent(bytes -> changed.put("HostConfig.Memory", bytes));
        defaults.nanoCpus().ifPresent(nanos -> changed.put("HostConfig.NanoCpus", nanos));
        return changed;
    }

    /** A client's stdin-attached session to the container opened. */
    public static Entry attach(String containerId, Peer client) {
        return session("attach", containerId, client, JSON.objectNode());
    }

    /** The client closed its side of the session's stdin. */
    public static Entry stdinClosed(String containerId, Peer client) {
        return session("stdin-closed", containerId, client, JSON.objectNode());
    }

    /** The session's connection closed; {@code end} says who closed it. */
    public static Entry detach(String containerId, Peer client, ProxyEvents.SessionEnd end) {
        return session("detach", containerId, client, JSON.objectNode().put("by", end.label()));
    }

    private static Entry session(String event, String containerId, Peer client, ObjectNode details) {
        details.set("client", client(client));
        return new Entry(event, containerId, details);
    }

    /** A tied container's owner, host or session ended, noticed at {@code detected}: the reap starts. */
    public static Entry death(TiedContainer container, Reason reason, ProcessId dead, Instant detected) {
        return new Entry(reason.code(), container.id(), process(dead).put("detected", detected.toString()));
    }

    /** A reap finished: why, and how it went. */
    public static Entry reaped(Reaped r) {
        return new Entry("reap", r.container().id(), JSON.objectNode()
                .put("reason", r.reason().code())
                .put("graceSeconds", r.grace().toSeconds())
                .put("stopped", r.stopped().name().toLowerCase(Locale.ROOT))
                .put("removed", r.removed().name().toLowerCase(Locale.ROOT))
                .put("noticeToGoneMs", r.noticeToGone().toMillis()));
    }

    /** The record of an engine event, if it is one the journal keeps (a container's life, not its execs). */
    public static Optional<Entry> engineEvent(EngineEvent e) {
        ObjectNode d = JSON.objectNode();
        switch (e.action()) {
            case "start", "destroy", "oom" -> { }
            case "die" -> d.put("exitCode", e.attributes().getOrDefault("exitCode", ""));
            case "kill" -> d.put("signal", e.attributes().getOrDefault("signal", ""));
            default -> {
                return Optional.empty();
            }
        }
        return Optional.of(new Entry(e.action(), e.containerId(), d));
    }

    private static ObjectNode client(Peer peer) {
        return process(peer.process());
    }

    private static ObjectNode process(ProcessId p) {
        return JSON.objectNode().put("pid", p.pid()).put("exe", p.exe());
    }

    private static ArrayNode command(Peer peer) {
        ArrayNode array = JSON.arrayNode();
        Redaction.command(peer.command()).forEach(array::add);
        return array;
    }
}
