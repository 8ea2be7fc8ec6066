package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.ContainerInfo;
import dev.tether.docker.EngineClient;
import dev.tether.journal.JournalReader;
import dev.tether.labeler.Instance;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import dev.tether.process.Liveness;
import dev.tether.process.Processes;
import dev.tether.proxy.ControlServer;
import dev.tether.reaper.Judge;
import dev.tether.reaper.TiedContainer;
import dev.tether.reaper.Verdict;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tether why CONTAINER}: its tie, the rule that chose it, what it waits on and what would end it. Read from
 * the container's labels (the labels are the state), {@code /proc} and the audit journal, so it answers with no
 * tether running, and for a container that is already gone, from the journal alone.
 */
@Command(name = "why", mixinStandardHelpOptions = true,
        description = {"Says why a container is tied as it is, what it waits on, and what would end it.",
                "Reads its labels, /proc and the audit journal: no tether needs to run. For a container that is gone,",
                "tells its story from the journal."})
final class Why implements Callable<Integer> {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @Parameters(paramLabel = "CONTAINER", description = "A name, an id, or an id prefix of 4 characters or more.")
    String container;

    @Mixin
    EngineOption engine;

    @Mixin
    SocketOption socket;

    @Option(names = "--audit-log", paramLabel = "PATH",
            description = "The journal (default: the running tether's, else $XDG_STATE_HOME/tether/audit.jsonl,"
                    + " else ~/.local/state/tether/audit.jsonl).")
    Path auditLog;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        Path journal = journal();
        Optional<ContainerInfo> found;
        try (EngineClient client = EngineClient.connect(engine.resolve(socket.path()))) {
            found = client.inspect(container);
        }
        if (found.isPresent()) {
            explain(found.get(), journal);
            return 0;
        }
        List<JsonNode> story = story(journal, Optional.empty());
        if (story.isEmpty()) {
            System.err.println("tether why: no container " + container + " on the engine, and none in the journal at "
                    + journal);
            return 1;
        }
        String id = story.getFirst().path("container").asText();
        row("container", ContainerRef.shortId(id) + nameIn(story) + ": gone");
        story.stream().filter(r -> r.path("event").asText().equals("create")).findFirst().ifPresent(create ->
                row("tie", create.path("tie").asText("?") + ": " + create.path("why").asText("(not recorded)")));
        printStory(story);
        return 0;
    }

    private void explain(ContainerInfo info, Path journal) {
        row("container", info.shortId() + " (" + info.name() + ", " + info.image() + "), " + info.state());
        Optional<TiedContainer> tied = TiedContainer.of(info);
        if (tied.isEmpty()) {
            row("tie", "none: it carries no tether labels (created on the engine's own socket, or before tether);"
                    + " tether never touches it");
            return;
        }
        TiedContainer c = tied.get();
        row("tie", c.tie().label() + ": " + info.labels().getOrDefault(TetherLabels.WHY, "(created by a tether that"
                + " did not record why)"));
        row("owner", described(c.owner()));
        row("host", described(c.host()));
        row("tether", tether(c));
        row("ends when", endsWhen(c));
        // Judged as its own tether judges it, whoever asks: what the reaper would do now.
        Verdict verdict = Judge.ofThisMachine(c.instance()).judge(c);
        row("now", switch (verdict) {
            case Verdict.Reap reap -> "due to be reaped: " + reap.reason().sentence() + ": " + reap.dead().describe();
            case Verdict.Watch watch -> "waiting: " + watch.why();
            case Verdict.Spare spare -> "left alone: " + spare.why();
        });
        printStory(story(journal, Optional.of(info.id())));
    }

    private static String endsWhen(TiedContainer c) {
        return switch (c.tie()) {
            case SESSION -> "its stdin session closes, or " + c.owner().describe() + " or " + c.host().describe()
                    + " exits" + (c.ancestry().processes().size() > 1 ? ", or a process above it up to its session"
                    + " leader (pid-start " + c.ancestry().label().substring(c.ancestry().label().indexOf(',') + 1) + ")"
                    : "");
            case OWNER -> c.owner().describe() + " exits";
            case HOST -> c.host().describe() + " exits";
            case NONE -> "never by tether (tie none): stop and remove it yourself, or let its restart policy decide";
        };
    }

    private static String described(ProcessId p) {
        if (!p.isKnown()) {
            return p.describe();
        }
        Liveness liveness = Processes.liveness(p);
        String since = Processes.startedAt(p).map(at -> " since " + TIME.format(at)).orElse("");
        return p.describe() + ", " + switch (liveness) {
            case ALIVE -> "alive" + since;
            case DEAD -> "gone (it had started" + since.replace(" since", "") + ")";
            case UNKNOWN -> "cannot tell whether it lives (another user's, or /proc hides it)";
        };
    }

    private static String tether(TiedContainer c) {
        Optional<Instance> instance = Instance.parse(c.instance());
        if (instance.isEmpty()) {
            return "instance " + c.instance() + " (not a tether's)";
        }
        Liveness liveness = Processes.liveness(instance.get().process());
        return "pid " + instance.get().pid() + " created it; " + switch (liveness) {
            case ALIVE -> "it runs and watches this container";
            case DEAD -> "it no longer runs: the next tether up, or tether sweep, judges this container";
            case UNKNOWN -> "cannot tell whether it runs";
        };
    }

    /** The running tether's journal, else the default one, unless --audit-log names one. */
    private Path journal() {
        if (auditLog != null) {
            return auditLog;
        }
        if (ControlClient.get(ControlServer.socketFor(socket.path()), "/status") instanceof ControlClient.Answered a
                && a.body().hasNonNull("journal")) {
            return Path.of(a.body().path("journal").asText());
        }
        return UserDirs.current().defaultJournal();
    }

    /** The records of one container: {@code id}, else the one whose id starts with, or whose name is, the argument. */
    private List<JsonNode> story(Path journal, Optional<String> id) {
        if (!JournalReader.exists(journal)) {
            return List.of();
        }
        ContainerRef wanted = ContainerRef.of(container);
        try (Stream<JsonNode> records = JournalReader.read(journal)) {
            List<JsonNode> all = records.toList();
            String match = id.orElseGet(() -> all.stream()
                    .filter(r -> wanted.names(r.path("container").asText(), r.path("name").asText(null)))
                    .map(r -> r.path("container").asText()).reduce((first, last) -> last).orElse(""));
            return all.stream().filter(r -> !match.isEmpty() && r.path("container").asText().equals(match)).toList();
        }
    }

    private void printStory(List<JsonNode> story) {
        if (story.isEmpty()) {
            row("journal", "no records of it (tether up --audit-log names another journal?)");
            return;
        }
        row("journal", "");
        for (JsonNode r : story) {
            String event = r.path("event").asText();
            String detail = switch (event) {
                case "reap" -> r.path("reason").asText() + ", gone " + r.path("noticeToGoneMs").asText() + " ms after notice";
                case "owner-exit", "host-exit", "session-ended" -> "pid " + r.path("pid").asText();
                case "die" -> "exit code " + r.path("exitCode").asText();
                case "detach" -> "by " + r.path("by").asText();
                case "create" -> "tie " + r.path("tie").asText();
                default -> "";
            };
            out.printf("  %s  %-13s %s%n", TIME.format(Instant.parse(r.path("time").asText())), event, detail);
        }
    }

    private static String nameIn(List<JsonNode> story) {
        return story.stream().map(r -> ContainerRef.withoutSlash(r.path("name").asText())).filter(n -> !n.isEmpty()).findFirst()
                .map(n -> " (" + n + ")").orElse("");
    }

    private void row(String what, String text) {
        out.printf("%-10s %s%n", what, text);
    }
}
