package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;

/**
 * {@code tether up --mcp-defaults} as a real process: what {@code docker inspect} shows for a stdio session, for a
 * client's own settings and for {@code docker run -d}, what the journal records, and how much sooner a server that
 * runs as PID 1 without a SIGTERM handler is gone once its session dies (engine events, with and without).
 */
@Timeout(300)
class McpDefaultsIT {

    private static final long GIB_2 = 2L << 30;
    private static final long ONE_CPU = 1_000_000_000L;
    /**
     * Says what it sees as PID 1 and whether it may gain privileges, then idles with no SIGTERM handler. Its own
     * command line comes first in what it prints, so the marker is spelled {@code rea""dy} there: only the echo says
     * ready, once the lines before it are out.
     */
    private static final String SERVER = "tr '\\0' ' ' </proc/1/cmdline; echo; grep NoNewPrivs /proc/self/status;"
            + " echo rea\"\"dy; while :; do sleep 1; done";
    private static final int RUNS = 3;

    private static Path dir;
    private static ReapKit.Tether hardened;
    private static ReapKit.Tether plain;
    private static Path journal;

    private final List<Cli.Running> clis = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "mcp-d");
        journal = dir.resolve("audit.jsonl");
        hardened = ReapKit.Tether.up(dir.resolve("m.sock"), "--mcp-defaults", "--audit-log", journal.toString());
        plain = ReapKit.Tether.up(dir.resolve("p.sock"), "--audit-log", dir.resolve("plain.jsonl").toString());
    }

    @AfterEach
    void endTheClis() {
        clis.forEach(Cli.Running::close);
        clis.clear();
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("McpDefaultsIT", dir, hardened, plain);
    }

    static Stream<String> clis() {
        return Cli.binaries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clis")
    void aStdioSessionGetsInitNoNewPrivilegesAndCaps(String binary) {
        String name = Engine.name("mcp-defaults");
        Cli.Running cli = session(binary, hardened, name, "sh", "-c", SERVER);

        JsonNode hostConfig = Engine.inspect(name).get("HostConfig");
        assertThat(hostConfig.path("Init").asBoolean(false)).as("Init in %s", hostConfig).isTrue();
        assertThat(strings(hostConfig.path("SecurityOpt"))).containsExactly("no-new-privileges");
        assertThat(hostConfig.path("Memory").asLong()).isEqualTo(GIB_2);
        assertThat(hostConfig.path("NanoCpus").asLong()).isEqualTo(ONE_CPU);
        assertThat(hostConfig.path("AutoRemove").asBoolean()).isTrue();
        // What the server itself sees: docker-init as PID 1, and no way to gain privileges.
        assertThat(cli.stdoutSoFar()).startsWith("/sbin/docker-init -- sh -c").contains("NoNewPrivs:\t1");

        JsonNode changed = createRecord(Engine.inspect(name).get("Id")).get("changed");
        assertThat(changed.path("HostConfig.Init").asBoolean()).as("journal: %s", changed).isTrue();
        assertThat(changed.at("/HostConfig.SecurityOpt/added/0").asText()).isEqualTo("no-new-privileges");
        assertThat(changed.path("HostConfig.Memory").asLong()).isEqualTo(GIB_2);
        assertThat(changed.path("HostConfig.NanoCpus").asLong()).isEqualTo(ONE_CPU);
        assertThat(changed.has("HostConfig.AutoRemove")).as("--rm set AutoRemove, not tether: %s", changed).isFalse();
        assertThat(hardened.log()).contains("tie=session: docker created a container with stdin attached and open"
                + " (docker run -i, a stdio MCP server): it ends with that session, Init set, no-new-privileges set,"
                + " Memory 2147483648, NanoCpus 1000000000");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clis")
    void theClientsOwnSettingsWin(String binary) {
        String name = Engine.name("mcp-own");
        Cli.Running cli = session(binary, hardened, name, "--init=false", "--memory", "64m", "--cpus", "0.5",
                "--security-opt", "no-new-privileges=false", "sh", "-c", SERVER);

        JsonNode hostConfig = Engine.inspect(name).get("HostConfig");
        assertThat(hostConfig.path("Init").isBoolean()).as("Init in %s", hostConfig).isTrue();
        assertThat(hostConfig.path("Init").asBoolean()).isFalse();
        assertThat(strings(hostConfig.path("SecurityOpt"))).containsExactly("no-new-privileges=false");
        assertThat(hostConfig.path("Memory").asLong()).isEqualTo(64L << 20);
        assertThat(hostConfig.path("NanoCpus").asLong()).isEqualTo(ONE_CPU / 2);
        assertThat(cli.stdoutSoFar()).startsWith("sh -c").contains("NoNewPrivs:\t0");

        JsonNode changed = createRecord(Engine.inspect(name).get("Id")).get("changed");
        assertThat(changed.has("HostConfig.Init") || changed.has("HostConfig.SecurityOpt") || changed.has("HostConfig.Memory")
                || changed.has("HostConfig.NanoCpus")).as("journal: %s", changed).isFalse();
    }

    @Test
    void aDetachedRunIsUntouched() {
        String name = Engine.name("mcp-detached");
        Cli.Result run = new Cli(Cli.NEW, hardened.socket).run("run", "-d", "--rm", "--name", name, "--label",
                Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sleep", "60");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        JsonNode container = Engine.inspect(name);
        JsonNode hostConfig = container.get("HostConfig");
        assertThat(container.at("/Config/Labels/dev.tether.tie").asText()).isEqualTo("none");
        assertThat(hostConfig.has("Init")).as("Init in %s", hostConfig).isFalse();
        assertThat(hostConfig.path("SecurityOpt").isNull()).as("SecurityOpt in %s", hostConfig).isTrue();
        assertThat(hostConfig.path("Memory").asLong()).isZero();
        assertThat(hostConfig.path("NanoCpus").asLong()).isZero();
        Engine.remove(name);
    }

    @Test
    void tetherStatusSaysWhatSessionsGet() throws Exception {
        assertThat(status(hardened)).contains("  sessions  get Init, no-new-privileges, Memory 2147483648,"
                + " NanoCpus 1000000000 unless they set their own (--mcp-defaults)");
        assertThat(status(plain)).contains("tether is running").doesNotContain("sessions  get");
    }

    private static String status(ReapKit.Tether tether) throws Exception {
        Launched status = new Launched(new ProcessBuilder(ReapKit.tetherCommand("status", "--socket",
                tether.socket.toString())).start(), false);
        String out = String.join("\n", status.finish());
        assertThat(status.exitCode()).as(out + status.stderr()).isZero();
        return out;
    }

    /**
     * The measurement: a server as PID 1 with no SIGTERM handler, its {@code docker run -i} CLI SIGKILLed. The
     * reaper stops it with the default grace of 3 s; the engine's own events say when it sent SIGTERM, whether it
     * had to send SIGKILL, and when the container was destroyed.
     */
    @Test
    void aServerWithoutASigtermHandlerIsGoneInMillisecondsWithInitNotAfterTheGrace() throws Exception {
        List<Timing> with = new ArrayList<>();
        List<Timing> without = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            with.add(measure(hardened, "with --mcp-defaults"));
            without.add(measure(plain, "without"));
        }
        for (Timing t : with) {
            assertThat(t.killSignals()).as("with Init, SIGTERM alone ends it: %s", t).containsExactly("15");
            assertThat(t.sigtermToGone()).as("SIGTERM → destroy with Init: %s", t).isLessThan(GRACE.dividedBy(2));
            assertThat(t.deathToGone()).as("death → destroy with Init: %s", t).isLessThan(GRACE);
        }
        for (Timing t : without) {
            assertThat(t.killSignals()).as("without Init, SIGTERM is ignored and SIGKILL follows: %s", t)
                    .containsExactly("15", "9");
            assertThat(t.sigtermToGone()).as("SIGTERM → destroy without Init: %s", t).isGreaterThanOrEqualTo(GRACE);
        }
        System.out.printf("[mcp-timing] median of %d, death → destroy: with --mcp-defaults %d ms, without %d ms;"
                        + " SIGTERM → destroy: with %d ms, without %d ms%n", RUNS,
                median(with.stream().map(Timing::deathToGone).toList()), median(without.stream().map(Timing::deathToGone).toList()),
                median(with.stream().map(Timing::sigtermToGone).toList()), median(without.stream().map(Timing::sigtermToGone).toList()));
    }

    // ---------------------------------------------------------------- measuring

    /** One session's end as the engine saw it. */
    record Timing(String what, Duration deathToGone, Duration sigtermToGone, List<String> killSignals) {}

    private Timing measure(ReapKit.Tether tether, String what) throws Exception {
        String name = Engine.name("mcp-death");
        Instant since = Instant.now().minusSeconds(1);
        try (EventStream events = EventStream.open(name, since)) {
            Cli.Running cli = session(Cli.NEW, tether, name, "sh", "-c", SERVER);
            String id = Engine.inspect(name).get("Id").asText();
            long deathEpochNanos = epochNanos(Instant.now());
            ReapKit.sigkill(cli.process().toHandle());

            List<JsonNode> seen = events.until("destroy", Duration.ofSeconds(30));
            long destroyed = seen.getLast().path("timeNano").asLong();
            List<JsonNode> kills = seen.stream().filter(e -> e.path("Action").asText().equals("kill")).toList();
            assertThat(kills).as("%s: the engine's kill events for %s: %s", what, id, seen).isNotEmpty();
            Timing t = new Timing(what, Duration.ofNanos(destroyed - deathEpochNanos),
                    Duration.ofNanos(destroyed - kills.getFirst().path("timeNano").asLong()),
                    kills.stream().map(e -> e.at("/Actor/Attributes/signal").asText()).toList());
            System.out.printf("[mcp-timing] %-22s death → destroy %5d ms, SIGTERM → destroy %5d ms, signals %s%n", what,
                    t.deathToGone().toMillis(), t.sigtermToGone().toMillis(), t.killSignals());
            return t;
        }
    }

    private static long median(List<Duration> durations) {
        return durations.stream().sorted().toList().get(durations.size() / 2).toMillis();
    }

    private static long epochNanos(Instant t) {
        return TimeUnit.SECONDS.toNanos(t.getEpochSecond()) + t.getNano();
    }

    /** {@code docker events} for one container, on the engine itself, from {@code since}. */
    private static final class EventStream implements AutoCloseable {
        private final Launched events;

        private EventStream(Launched events) {
            this.events = events;
        }

        static EventStream open(String container, Instant since) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(Cli.NEW, "events", "--since",
                    since.getEpochSecond() + "." + String.format("%09d", since.getNano()), "--filter", "type=container",
                    "--filter", "container=" + container, "--format", "{{json .}}");
            pb.environment().put("DOCKER_HOST", Engine.endpoint().uri());
            return new EventStream(new Launched(pb.start(), true));
        }

        /** Every event up to and including the first with this action. */
        List<JsonNode> until(String action, Duration timeout) throws InterruptedException {
            List<JsonNode> seen = new ArrayList<>();
            long end = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < end) {
                String line = events.stdout.poll(100, TimeUnit.MILLISECONDS);
                if (line == null) {
                    continue;
                }
                JsonNode event = json(line);
                seen.add(event);
                if (event.path("Action").asText().equals(action)) {
                    return seen;
                }
            }
            throw new AssertionError("no " + action + " event within " + timeout + "; events: " + seen + "; stderr: "
                    + events.stderr);
        }

        @Override
        public void close() {
            events.process.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** {@code docker run -i --rm} through {@code tether}, stdin left open, once the server says it is ready. */
    private Cli.Running session(String binary, ReapKit.Tether tether, String name, String... args) {
        List<String> command = new ArrayList<>(List.of("run", "-i", "--rm", "--name", name, "--label", Engine.labelArg(),
                "--network", "none"));
        int image = args.length;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("sh")) {
                image = i;
                break;
            }
        }
        command.addAll(List.of(args).subList(0, image));
        command.add(Engine.TEST_IMAGE);
        command.addAll(List.of(args).subList(image, args.length));
        Cli.Running cli = new Cli(binary, tether.socket).start(command.toArray(String[]::new));
        clis.add(cli);
        cli.awaitStdout("ready", Duration.ofSeconds(60));
        return cli;
    }

    /** The journal's create record of a container, once written. */
    private static JsonNode createRecord(JsonNode id) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            Optional<JsonNode> record = lines().filter(r -> r.path("event").asText().equals("create")
                    && r.path("container").asText().equals(id.asText())).findFirst();
            if (record.isPresent()) {
                return record.get();
            }
            Engine.pause();
        }
        throw new AssertionError("no create record for " + id + " in " + journal);
    }

    private static Stream<JsonNode> lines() {
        try {
            return Files.exists(journal) ? Files.readAllLines(journal).stream().map(McpDefaultsIT::json) : Stream.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(String line) {
        try {
            return RawHttp.JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }
}
