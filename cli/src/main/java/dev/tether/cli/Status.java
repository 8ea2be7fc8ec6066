package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.Endpoint;
import dev.tether.docker.EngineClient;
import dev.tether.labeler.TetherLabels;
import dev.tether.proxy.ControlServer;
import dev.tether.reaper.TiedContainer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether status}: asks the running tether what it is doing. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Says whether tether is running and what it is doing.",
                "Its sockets and upstream, the tied containers by mode, what the running ones cost now (memory, CPU), and the last reaps with their reason and",
                "time from death to gone. Exits 3 if no tether runs, 1 if it refuses you or its answer is wrong."})
final class Status implements Callable<Integer> {

    @Mixin
    SocketOption socket;

    @Option(names = "--json", description = "The raw answer of the control socket's /status.")
    boolean json;

    @Override
    public Integer call() {
        Path path = socket.path();
        Path control = ControlServer.socketFor(path);
        JsonNode s;
        switch (ControlClient.get(control, "/status")) {
            case ControlClient.Answered a -> s = a.body();
            case ControlClient.Absent a -> {
                System.out.println("tether is not running on " + path + " (" + a.why() + ")");
                return 3;
            }
            case ControlClient.Refused r -> {
                System.out.println("tether on " + path + " refuses you: " + r.why());
                return 1;
            }
            case ControlClient.Failed f -> {
                System.out.println("tether on " + path + ": " + f.why());
                return 1;
            }
        }
        if (json) {
            System.out.println(s.toPrettyString());
            return 0;
        }
        System.out.println("tether is running (pid " + s.path("pid").asLong() + ", since " + s.path("startedAt").asText() + ")");
        System.out.println("  socket    " + s.path("socket").asText());
        System.out.println("  control   " + s.path("control").asText());
        JsonNode tcp = s.path("tcp");
        if (tcp.isObject()) {
            System.out.println("  tcp       " + tcp.path("uri").asText() + (tcp.path("tls").asBoolean()
                    ? " (TLS, client certificates required)" : " (loopback, no TLS)"));
        }
        System.out.println("  upstream  " + s.path("upstream").asText()
                + (s.hasNonNull("upstreamWhy") ? ", chosen by " + s.path("upstreamWhy").asText() : ""));
        if (s.hasNonNull("upstreamTls")) {
            System.out.println("            " + s.path("upstreamTls").asText());
        }
        System.out.println("  journal   " + s.path("journal").asText()
                + (s.path("journalDropped").asLong() > 0 ? " (" + s.path("journalDropped").asLong() + " records dropped: not writable)" : ""));
        JsonNode mcp = s.path("mcpDefaults");
        if (mcp.isObject()) {
            System.out.println("  sessions  get Init, no-new-privileges"
                    + (mcp.path("memory").asLong() > 0 ? ", Memory " + mcp.path("memory").asLong() : "")
                    + (mcp.path("nanoCpus").asLong() > 0 ? ", NanoCpus " + mcp.path("nanoCpus").asLong() : "")
                    + " unless they set their own (--mcp-defaults)");
        }
        StringBuilder tied = new StringBuilder();
        s.path("tied").properties().forEach(e -> tied.append(tied.isEmpty() ? "" : ", ").append(e.getValue().asLong()).append(' ').append(e.getKey()));
        System.out.println("  tied      " + (tied.isEmpty() ? "none" : tied));
        JsonNode guards = s.path("guards");
        if (guards.isObject()) {
            System.out.println("  guards    " + guards.path("active").size() + " `tether run` server" + (guards.path("active").size() == 1 ? "" : "s")
                    + " guarded; " + guards.path("how").asText());
            for (JsonNode g : guards.path("active")) {
                System.out.println("    server pid " + g.path("server").asLong() + " of host pid " + g.path("host").asLong()
                        + ", grace " + g.path("graceMs").asLong() + " ms" + (g.hasNonNull("cgroup") ? ", cgroup " + g.path("cgroup").asText() : ""));
            }
        }
        System.out.println("  cost      " + cost(path));
        System.out.println("  reaps     " + s.path("reapsSinceStart").asLong() + " since start");
        for (JsonNode r : s.path("recentReaps")) {
            System.out.println("    " + r.path("at").asText() + "  " + r.path("container").asText().substring(0, 12) + " "
                    + r.path("name").asText() + ": " + r.path("reason").asText() + ", gone "
                    + r.path("noticeToGoneMs").asLong() + " ms after the death was noticed");
        }
        return 0;
    }

    /**
     * What the running tied containers cost together now, asked through tether's own socket (which relays to the engine
     * it chose, so status needs no engine option of its own).
     */
    private static String cost(Path socket) {
        try (EngineClient client = EngineClient.connect(new Endpoint.Unix(socket))) {
            List<TiedContainer> running = client.containersLabelled(TetherLabels.TIE).stream()
                    .flatMap(id -> client.inspect(id).flatMap(TiedContainer::of).stream())
                    .filter(c -> c.info().isRunning()).toList();
            Costs.Total t = Costs.Total.of(Costs.of(client, running).stream().flatMap(c -> c.usage().stream()).toList());
            return t.running() + " running, " + Table.bytes(t.memoryBytes()) + " memory, " + Table.percent(t.cpuPercent())
                    + " CPU (per host: tether ps)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        } catch (RuntimeException | java.io.IOException e) {
            return "unknown (the engine did not answer through " + socket + ": " + e.getMessage() + ")";
        }
    }
}
