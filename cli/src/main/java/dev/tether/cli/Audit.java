package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tether.journal.JournalReader;
import dev.tether.labeler.ProcessId;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.tether.daemon.Durations;

/** {@code tether audit}: what tether did to which container, and why, from its audit journal. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Shows tether's audit journal, rotated files included: each container tether labelled and what"
                + " happened to it (create, start, attach, stdin-closed, owner-exit, reap, die, destroy, ...), and why.")
final class Audit implements Callable<Integer> {

    /** How often --follow looks for new records. */
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Pattern DAYS = Pattern.compile("(\\d+)d");

    @Option(names = {"-f", "--follow"}, description = "After the records there, print new ones as they are written,"
            + " until interrupted (Ctrl-C, SIGTERM).")
    boolean follow;

    @Option(names = "--since", paramLabel = "DURATION|TIME",
            description = "Only records from then on: 10m, 2h, 1d ago, or a time: 2026-11-21, 2026-11-21T08:30,"
                    + " 2026-11-21T08:30:00Z, 08:30 (today).")
    String since;

    @Option(names = "--container", paramLabel = "ID|NAME",
            description = "Only this container: an id prefix (4 characters or more) or the name it was created with.")
    String container;

    @Option(names = "--json", description = "Print the records as the journal has them: one JSON object a line.")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE",
            description = "Write one self-contained page to FILE instead: a timeline with a bar per container from create"
                    + " to destroy, coloured by how it ended, its owner and host on hover (--since and --container apply).")
    Path html;

    @Option(names = "--audit-log", paramLabel = "PATH",
            description = "The journal (default: $XDG_STATE_HOME/tether/audit.jsonl, else ~/.local/state/tether/audit.jsonl).")
    Path auditLog;

    @Override
    public Integer call() throws Exception {
        Path path = (auditLog != null ? auditLog : UserDirs.current().defaultJournal()).toAbsolutePath().normalize();
        Clock clock = Clock.systemDefaultZone();
        View view = new View(clock, since == null ? null : since(since, clock), container, json, path);
        if (!JournalReader.exists(path)) {
            // With --json, stdout carries only records.
            (json ? System.err : System.out).println("no audit journal at " + path + " yet (tether up writes it)");
            if (!follow) {
                return 0;
            }
        }
        if (html != null) {
            return page(path, view);
        }
        if (follow) {
            return follow(path, view);
        }
        try (Stream<JournalReader.Line> lines = JournalReader.lines(path, view::unreadable)) {
            lines.forEach(view::line);
        }
        view.caughtUp();
        return 0;
    }

    /** {@code --html}: the lifecycles the filters keep, as a page. */
    private int page(Path journal, View view) throws IOException {
        AuditPage page = new AuditPage();
        long[] unreadable = {0};
        if (JournalReader.exists(journal)) {
            try (Stream<JournalReader.Line> lines = JournalReader.lines(journal, u -> unreadable[0]++)) {
                lines.forEach(l -> page.add(l.json()));
            }
        }
        Predicate<AuditPage.Lifecycle> shown = l -> view.selected(l.id(), l.name()) && view.recent(l.created());
        long count = page.lifecycles().stream().filter(shown).count();
        Files.writeString(html, page.html(Instant.now(), shown), StandardCharsets.UTF_8);
        System.out.println("wrote " + count + " container lifecycle" + (count == 1 ? "" : "s") + " to " + html.toAbsolutePath()
                + (unreadable[0] > 0 ? " (skipped " + unreadable[0] + " unreadable lines)" : ""));
        return 0;
    }

    /**
     * Follows until a signal. The JVM would end with 143 (or 130) for it; but a signal is how a follow is meant
     * to end, so the hook lets the last record finish printing, then ends the JVM with 0.
     */
    private static int follow(Path path, View view) throws IOException {
        Thread caller = Thread.currentThread();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            caller.interrupt();
            try {
                stopped.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }, "tether-audit-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            JournalReader.follow(path, POLL, view);
        } catch (InterruptedException e) {
            // the hook's doing: it ends the JVM
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs now
            }
        }
        return 0;
    }

    /** {@code --since}: a duration back from now, or a time; a time without a zone is local. */
    static Instant since(String text, Clock clock) {
        String t = text.strip();
        Matcher days = DAYS.matcher(t);
        if (days.matches()) {
            return clock.instant().minus(Duration.ofDays(Long.parseLong(days.group(1))));
        }
        try {
            return clock.instant().minus(Durations.parse(t));
        } catch (IllegalArgumentException notADuration) {
            // a time, then
        }
        String iso = t.replace(' ', 'T');
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            // not in UTC
        }
        try {
            return OffsetDateTime.parse(iso).toInstant();
        } catch (DateTimeParseException e) {
            // no offset
        }
        try {
            return LocalDateTime.parse(iso).atZone(clock.getZone()).toInstant();
        } catch (DateTimeParseException e) {
            // no time of day
        }
        try {
            return LocalDate.parse(iso).atStartOfDay(clock.getZone()).toInstant();
        } catch (DateTimeParseException e) {
            // no date
        }
        try {
            return LocalTime.parse(iso).atDate(LocalDate.now(clock)).atZone(clock.getZone()).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--since '" + text + "' is neither a duration (10m, 2h, 1d) nor a time"
                    + " (2026-11-21, 2026-11-21T08:30, 2026-11-21T08:30:00Z, 08:30)");
        }
    }

    /**
     * The records as a table or as JSON lines, filtered. Names and owners come from each container's create record,
     * which is read even when --since or --container leaves it out of the output.
     */
    static final class View implements JournalReader.Listener {

        private static final Set<String> COMMON = Set.of("time", "container", "event");
        private static final DateTimeFormatter TODAY = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
        private static final DateTimeFormatter OTHER_DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

        private final Clock clock;
        private final Instant from;
        private final ContainerRef container;
        private final boolean json;
        private final Path path;
        private final PrintStream out = System.out;
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, String> owners = new HashMap<>();
        /** Wide enough for most rows, so that rows printed after the table's first part line up with it. */
        private final Table table = new Table(out, List.of("TIME", "CONTAINER", "EVENT", "OWNER", "DETAIL"), 12, 12, 12, 16, 0);
        private boolean caughtUp;
        private long unreadable;

        View(Clock clock, Instant from, String container, boolean json, Path path) {
            this.clock = clock;
            this.from = from;
            this.container = container == null ? null : ContainerRef.of(container);
            this.json = json;
            this.path = path;
        }

        @Override
        public void line(JournalReader.Line line) {
            JsonNode record = line.json();
            String id = record.path("container").asText("");
            boolean create = "create".equals(record.path("event").asText());
            if (create) {
                String name = ContainerRef.withoutSlash(record.path("name").asText(""));
                if (!name.isEmpty()) {
                    names.put(id, name);
                }
                owners.put(id, process(record.path("owner")));
            }
            if (!selected(id) || !recent(record)) {
                return;
            }
            if (json) {
                // The bytes as written, whatever the locale's charset: JSON lines are UTF-8.
                byte[] bytes = (line.text() + "\n").getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
                if (caughtUp) {
                    out.flush();
                }
                return;
            }
            table.add(time(record), names.getOrDefault(id, ContainerRef.shortId(id)), record.path("event").asText("-"),
                    owners.getOrDefault(id, "-"), detail(record, create));
            if (caughtUp) {
                out.flush();
            }
        }

        @Override
        public void unreadable(JournalReader.Unreadable where) {
            if (!caughtUp) {
                unreadable++;
            } else {
                System.err.println("tether: skipped line " + where.line() + " of " + where.file() + ": not a record");
            }
        }

        /** The journal's records so far are in: the table's first part can be laid out and printed. */
        @Override
        public void caughtUp() {
            caughtUp = true;
            if (!json) {
                table.print();
            }
            out.flush();
            if (unreadable > 0) {
                System.err.println("tether: skipped " + unreadable + " unreadable line" + (unreadable == 1 ? "" : "s")
                        + " in " + path + " and its rotated files");
            }
        }

        private boolean selected(String id) {
            return selected(id, names.get(id));
        }

        boolean selected(String id, String name) {
            return container == null || container.names(id, name);
        }

        private boolean recent(JsonNode record) {
            try {
                return recent(Instant.parse(record.path("time").asText()));
            } catch (DateTimeParseException e) {
                return from == null; // no telling when it happened
            }
        }

        boolean recent(Instant at) {
            return from == null || !at.isBefore(from);
        }

        private String time(JsonNode record) {
            String text = record.path("time").asText("");
            try {
                ZonedDateTime at = Instant.parse(text).atZone(clock.getZone());
                return (at.toLocalDate().equals(LocalDate.now(clock)) ? TODAY : OTHER_DAY).format(at);
            } catch (DateTimeParseException e) {
                return text.isEmpty() ? "-" : text;
            }
        }

        /** The fields not in a column, as {@code k=v}; a process as its pid and executable. */
        private static String detail(JsonNode record, boolean create) {
            StringJoiner detail = new StringJoiner(" ");
            record.properties().forEach(field -> {
                String key = field.getKey();
                JsonNode value = field.getValue();
                if (COMMON.contains(key) || (create && (key.equals("name") || key.equals("owner")))) {
                    return;
                }
                if (value.isValueNode() && !value.isNull()) {
                    detail.add(key + "=" + quoted(value.asText()));
                } else if (value.isObject() && value.has("pid")) {
                    detail.add(key + "=" + quoted(process(value)));
                }
            });
            return detail.toString();
        }

        /** A value with blanks in quotes, so that the pairs stay apart. */
        private static String quoted(String text) {
            boolean plain = !text.isEmpty() && text.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"');
            return plain ? text : TextNode.valueOf(text).toString();
        }

        /** {@code 4242 docker} from {@code {"pid":4242,"exe":"/usr/bin/docker"}}; "-" when unknown. */
        private static String process(JsonNode p) {
            if (p.isTextual() || p.isNumber()) {
                return p.asText();
            }
            return Table.process(new ProcessId(p.path("pid").asLong(0), 0, p.path("exe").asText("")));
        }
    }
}
