package dev.tether.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.labeler.TetherLabels;
import dev.tether.proxy.DockerProxy;

/** What the control socket's {@code /status} and {@code /sessions} answer: read by {@code tether status}, {@code ps} and {@code doctor}. */
final class StatusPage {

    private StatusPage() {}

    static JsonNode sessions(DockerProxy proxy) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        var list = body.putArray("sessions");
        proxy.liveSessions().forEach(s -> list.addObject()
                .put("container", s.getKey())
                .put("pid", s.getValue().process().pid())
                .put("start", s.getValue().process().startTicks()));
        return body;
    }

    static JsonNode status(Daemon daemon) {
        Settings settings = daemon.settings();
        ObjectNode s = JsonNodeFactory.instance.objectNode()
                .put("pid", ProcessHandle.current().pid())
                .put("instance", daemon.instance().label())
                .put("startedAt", daemon.startedAt().toString())
                .put("socket", daemon.socket().toString())
                .put("control", daemon.controlSocket().toString())
                .put("upstream", settings.upstream().uri())
                .put("upstreamRule", settings.engine().rule().code())
                .put("upstreamWhy", settings.engine().why())
                .put("upstreamTls", settings.engine().tls().orElse(null))
                .put("journal", daemon.journal().path().toString())
                .put("journalDropped", daemon.journal().dropped());
        daemon.proxy().tcpUri().ifPresent(uri -> s.putObject("tcp").put("uri", uri)
                .put("tls", settings.tcp().flatMap(t -> t.tls()).isPresent()));
        settings.mcpDefaults().ifPresent(d -> s.putObject("mcpDefaults").put("memory", d.memory()).put("nanoCpus", d.nanoCpus()));
        ObjectNode tied = s.putObject("tied");
        try {
            daemon.engine().labelsOfContainersLabelled(TetherLabels.TIE).values().forEach(labels -> {
                String mode = labels.getOrDefault(TetherLabels.TIE, "?");
                tied.put(mode, tied.path(mode).asLong() + 1);
            });
        } catch (RuntimeException e) {
            s.put("tiedError", "the engine did not answer: " + e.getMessage());
        }
        daemon.guards().ifPresent(guards -> {
            ObjectNode g = s.putObject("guards").put("how", guards.cgroupsHow());
            var list = g.putArray("active");
            guards.active().forEach(a -> list.addObject().put("id", a.id()).put("host", a.host().pid())
                    .put("server", a.server().pid()).put("graceMs", a.grace().toMillis())
                    .put("cgroup", a.cgroup().map(Object::toString).orElse(null)));
        });
        Recorder recorder = daemon.recorder();
        s.put("reapsSinceStart", recorder.reapsSinceStart());
        var recent = s.putArray("recentReaps");
        recorder.recentReaps().forEach(r -> recent.addObject()
                .put("at", r.at().toString())
                .put("container", r.reaped().container().id())
                .put("name", r.reaped().container().info().name())
                .put("reason", r.reaped().reason().code())
                .put("noticeToGoneMs", r.reaped().noticeToGone().toMillis()));
        return s;
    }
}
