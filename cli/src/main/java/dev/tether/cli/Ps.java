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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tether ps}: the tied containers, one line each. */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = {"Lists the containers tether labelled, one line each.",
                "Shows what each is tied to, whether that still lives, and whether its stdin session is attached",
                "(asked of the running tether on --socket)."})
final class Ps implements Callable<Integer> {

    @Mixin
    EngineOption engine;

    @Mixin
    SocketOption socket;

    @Override
    public Integer call() throws Exception {
        Path path = socket.path();
        Optional<JsonNode> sessions = ControlClient.get(ControlServer.socketFor(path), "/sessions");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"CONTAINER", "NAME", "IMAGE", "TIE", "OWNER", "HOST", "ALIVE", "AGE", "ATTACHED"});
        Judge judge = Judge.ofThisMachine("");
        try (EngineClient client = EngineClient.connect(engine.resolve(path))) {
            for (String id : client.containersLabelled(TetherLabels.TIE)) {
                client.inspect(id).flatMap(TiedContainer::of).ifPresent(c -> rows.add(new String[] {
                        c.info().shortId(), c.info().name(), c.info().image(), c.tie().label(),
                        describe(c.owner()), describe(c.host()), alive(judge, c),
                        age(c.info().created().getEpochSecond()), attached(c, sessions)}));
            }
        }
        print(rows);
        if (sessions.isEmpty()) {
            System.out.println("(no tether answers on " + path + ": ATTACHED is unknown)");
        }
        return 0;
    }

    private static String describe(ProcessId p) {
        if (!p.isKnown()) {
            return "-";
        }
        String exe = p.exe().substring(p.exe().lastIndexOf('/') + 1);
        return p.pid() + (exe.isEmpty() ? "" : " " + exe);
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

    private static void print(List<String[]> rows) {
        int[] widths = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }
}
