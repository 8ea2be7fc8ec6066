package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.EngineClient;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import dev.tether.proxy.ControlServer;
import dev.tether.reaper.Judge;
import dev.tether.reaper.TiedContainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tether ps}: the tied containers, one line each. */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = {"Lists the containers tether labelled, one line each.",
                "Shows what each is tied to, whether that still lives, and whether its stdin session is attached",
                "(asked of the running tether on --socket), and what each running one costs now (memory and CPU, as `docker stats`",
                "computes them); then the same totals per host process, the MCP host session that started them."})
final class Ps implements Callable<Integer> {

    @Mixin
    EngineOption engine;

    @Mixin
    SocketOption socket;

    @Override
    public Integer call() throws Exception {
        Path path = socket.path();
        ControlClient.Answer answer = ControlClient.get(ControlServer.socketFor(path), "/sessions");
        Optional<JsonNode> sessions = answer instanceof ControlClient.Answered a ? Optional.of(a.body()) : Optional.empty();
        Table table = new Table(System.out, List.of("CONTAINER", "NAME", "IMAGE", "TIE", "OWNER", "HOST", "ALIVE", "AGE",
                "ATTACHED", "MEM", "CPU"));
        Judge judge = Judge.ofThisMachine("");
        List<Costs.Costed> rows;
        try (EngineClient client = EngineClient.connect(engine.resolve(path))) {
            rows = Costs.of(client, client.containersLabelled(TetherLabels.TIE).stream()
                    .flatMap(id -> client.inspect(id).flatMap(TiedContainer::of).stream()).toList());
        }
        // Grouped by the process that started them: which Claude Code or Cursor session holds which servers.
        rows = rows.stream().sorted(Comparator.comparing((Costs.Costed r) -> !r.c().host().isKnown())
                .thenComparingLong(r -> r.c().host().pid()).thenComparing(r -> r.c().info().created())).toList();
        for (Costs.Costed r : rows) {
            TiedContainer c = r.c();
            table.add(c.info().shortId(), c.info().name(), c.info().image(), c.tie().label(),
                    Table.process(c.owner()), Table.process(c.host()), alive(judge, c),
                    age(c.info().created().getEpochSecond()), attached(c, sessions),
                    r.usage().map(u -> Table.bytes(u.memoryBytes())).orElse("-"),
                    r.usage().map(u -> Table.percent(u.cpuPercent())).orElse("-"));
        }
        table.print();
        printByHost(rows);
        if (sessions.isEmpty()) {
            System.out.println("(ATTACHED is unknown: " + switch (answer) {
                case ControlClient.Answered a -> "";
                case ControlClient.Absent a -> "no tether answers on " + path;
                case ControlClient.Refused r -> "the tether on " + path + " refuses you: " + r.why();
                case ControlClient.Failed f -> "the tether on " + path + ": " + f.why();
            } + ")");
        }
        return 0;
    }

    /** One line per host process: how many containers it started, and what those that run cost together. */
    private static void printByHost(List<Costs.Costed> rows) {
        if (rows.isEmpty()) {
            return;
        }
        Map<ProcessId, List<Costs.Costed>> byHost = rows.stream()
                .collect(Collectors.groupingBy(r -> r.c().host(), LinkedHashMap::new, Collectors.toList()));
        System.out.println();
        Table hosts = new Table(System.out, List.of("HOST", "CONTAINERS", "RUNNING", "MEM", "CPU"));
        byHost.forEach((host, list) -> {
            Costs.Total t = Costs.Total.of(list.stream().flatMap(r -> r.usage().stream()).toList());
            hosts.add(Table.process(host), Integer.toString(list.size()), Integer.toString(t.running()),
                    Table.bytes(t.memoryBytes()), Table.percent(t.cpuPercent()));
        });
        hosts.print();
    }

    /** Whether what the container waits on still lives, by the reaper's own rule. */
    private static String alive(Judge judge, TiedContainer c) {
        return judge.tiesLiveness(c).map(state -> switch (state) {
            case ALIVE -> "yes";
            case DEAD -> "no";
            case UNKNOWN -> "?";
        }).orElse("-");
    }

    private static String attached(TiedContainer c, Optional<JsonNode> sessions) {
        if (sessions.isEmpty()) {
            return "?";
        }
        for (JsonNode s : sessions.get().path("sessions")) {
            String ref = s.path("container").asText();
            if (ref.equals(c.info().name()) || (ref.length() >= 4 && c.id().startsWith(ref))) {
                return "yes";
            }
        }
        return "no";
    }

    private static String age(long createdEpochSecond) {
        Duration d = Duration.ofSeconds(Math.max(0, System.currentTimeMillis() / 1000 - createdEpochSecond));
        if (d.toDays() > 0) {
            return d.toDays() + "d";
        }
        if (d.toHours() > 0) {
            return d.toHours() + "h";
        }
        return d.toMinutes() > 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
    }
}
