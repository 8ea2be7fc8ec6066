package dev.tether.journal;

import static dev.tether.journal.JournalWriterTest.ID;
import static dev.tether.journal.JournalWriterTest.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.docker.ContainerInfo;
import dev.tether.docker.EngineClient;
import dev.tether.docker.EngineEvent;
import dev.tether.labeler.CreateDecision;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.Tie;
import dev.tether.labeler.TieChoice;
import dev.tether.proxy.Peer;
import dev.tether.proxy.ProxyEvents;
import dev.tether.reaper.Reaped;
import dev.tether.reaper.Reason;
import dev.tether.reaper.TiedContainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each record exactly as a line of the journal, built from what the proxy, the reaper and the engine report: the
 * schema {@link Records} documents and docs/journal.md tells users.
 */
class RecordsTest {

    private static final String PREFIX = "{\"time\":\"2026-11-21T08:30:01.250Z\",\"container\":\"" + ID + "\",";
    private static final ProcessId DOCKER = new ProcessId(4242, 991, "/usr/bin/docker");
    private static final ProcessId CLAUDE = new ProcessId(4200, 870, "/usr/local/bin/claude");
    private static final Peer CLIENT = new Peer(DOCKER, 1000,
            List.of("docker", "run", "-i", "--rm", "-e", "GITHUB_TOKEN=ghp_s3cr3t", "ghcr.io/github/github-mcp-server"));

    @TempDir
    Path dir;

    @Test
    void aCreateNamesTheOwnerWithItsRedactedCommandTheHostTheTieAndWhatTetherChanged() throws IOException {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("dev.tether.tie", "session");
        labels.put("dev.tether.owner.pid", "4242");
        var decision = new CreateDecision.Forward(new byte[0], new TieChoice(Tie.SESSION, "docker created a container"
                + " with stdin attached and open"), labels,
                new CreateDecision.McpDefaultsSet(true, true, OptionalLong.of(536870912), OptionalLong.empty()));

        String line = line(Records.created(new ProxyEvents.Created(ID, "mcp-github", CLIENT, CLAUDE, decision)));

        assertThat(line).isEqualTo(PREFIX + "\"event\":\"create\",\"name\":\"mcp-github\","
                + "\"owner\":{\"pid\":4242,\"exe\":\"/usr/bin/docker\",\"uid\":1000,\"command\":[\"docker\",\"run\","
                + "\"-i\",\"--rm\",\"-e\",\"GITHUB_TOKEN=***\",\"ghcr.io/github/github-mcp-server\"]},"
                + "\"host\":{\"pid\":4200,\"exe\":\"/usr/local/bin/claude\"},\"tie\":\"session\","
                + "\"why\":\"docker created a container with stdin attached and open\","
                + "\"changed\":{\"labels\":{\"dev.tether.tie\":\"session\",\"dev.tether.owner.pid\":\"4242\"},"
                + "\"HostConfig.Init\":true,"
                + "\"HostConfig.SecurityOpt\":{\"added\":[\"no-new-privileges\"]},\"HostConfig.Memory\":536870912}}\n");
    }

    @Test
    void aCreateOfAnUnchangedRequestSaysSoWithAnEmptyChanged() throws IOException {
        var decision = new CreateDecision.Forward(new byte[0], new TieChoice(Tie.NONE, "a CLI (docker) created a"
                + " detached container"), Map.of(), CreateDecision.McpDefaultsSet.NOTHING);

        String line = line(Records.created(new ProxyEvents.Created(ID, "pg", Peer.UNKNOWN, ProcessId.UNKNOWN,
                decision)));

        assertThat(line).isEqualTo(PREFIX + "\"event\":\"create\",\"name\":\"pg\",\"owner\":{\"pid\":0,\"exe\":\"\","
                + "\"uid\":-1,\"command\":[]},\"host\":{\"pid\":0,\"exe\":\"\"},\"tie\":\"none\","
                + "\"why\":\"a CLI (docker) created a detached container\",\"changed\":{}}\n");
    }

    @Test
    void sessionRecordsNameTheClientAndADetachWhoEndedIt() throws IOException {
        assertThat(line(Records.attach(ID, CLIENT)))
                .isEqualTo(PREFIX + "\"event\":\"attach\",\"client\":{\"pid\":4242,\"exe\":\"/usr/bin/docker\"}}\n");
        assertThat(line(Records.stdinClosed(ID, CLIENT))).isEqualTo(PREFIX
                + "\"event\":\"stdin-closed\",\"client\":{\"pid\":4242,\"exe\":\"/usr/bin/docker\"}}\n");
        assertThat(line(Records.detach(ID, CLIENT, ProxyEvents.SessionEnd.CLIENT))).isEqualTo(PREFIX
                + "\"event\":\"detach\",\"by\":\"client\",\"client\":{\"pid\":4242,\"exe\":\"/usr/bin/docker\"}}\n");
        assertThat(line(Records.detach(ID, CLIENT, ProxyEvents.SessionEnd.TETHER))).contains("\"by\":\"tether\"");
    }

    @Test
    void aDeathIsRecordedUnderItsReasonWithTheDeadProcessAndWhenItWasNoticed() throws IOException {
        Instant detected = Instant.parse("2026-11-21T08:30:00.987654Z");

        for (Reason reason : Reason.values()) {
            assertThat(line(Records.death(tied(), reason, DOCKER, detected))).isEqualTo(PREFIX + "\"event\":\""
                    + reason.code() + "\",\"pid\":4242,\"exe\":\"/usr/bin/docker\","
                    + "\"detected\":\"2026-11-21T08:30:00.987654Z\"}\n");
        }
        assertThat(Reason.values()).extracting(Reason::code)
                .containsExactly("owner-exit", "host-exit", "session-ended");
    }

    @Test
    void aReapSaysWhyHowItWentAndHowLongFromNoticeToGoneInLowerCaseWhateverTheLocale() throws IOException {
        var reaped = new Reaped(tied(), Reason.OWNER_EXITED, DOCKER, Duration.ofSeconds(3),
                EngineClient.Stopped.WAS_NOT_RUNNING, EngineClient.Removed.ALREADY_GONE,
                1_000_000_000L, 1_100_000_000L, 4_250_000_000L);
        Locale before = Locale.getDefault();
        String line;
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR")); // "I".toLowerCase() is "ı" there
            line = line(Records.reaped(reaped));
        } finally {
            Locale.setDefault(before);
        }

        assertThat(line).isEqualTo(PREFIX + "\"event\":\"reap\",\"reason\":\"owner-exit\",\"graceSeconds\":3,"
                + "\"stopped\":\"was_not_running\",\"removed\":\"already_gone\",\"noticeToGoneMs\":3250}\n");
    }

    @Test
    void engineEventsOfAContainersLifeAreRecordedWithTheirExitCodeOrSignalAndNoOthers() throws IOException {
        assertThat(line(engine("start", Map.of("image", "busybox")).orElseThrow()))
                .isEqualTo(PREFIX + "\"event\":\"start\"}\n");
        assertThat(line(engine("die", Map.of("exitCode", "137")).orElseThrow()))
                .isEqualTo(PREFIX + "\"event\":\"die\",\"exitCode\":\"137\"}\n");
        assertThat(line(engine("kill", Map.of("signal", "15")).orElseThrow()))
                .isEqualTo(PREFIX + "\"event\":\"kill\",\"signal\":\"15\"}\n");
        assertThat(line(engine("oom", Map.of()).orElseThrow())).isEqualTo(PREFIX + "\"event\":\"oom\"}\n");
        assertThat(line(engine("destroy", Map.of()).orElseThrow())).isEqualTo(PREFIX + "\"event\":\"destroy\"}\n");

        for (String other : List.of("create", "attach", "stop", "exec_start: sh -c date", "exec_die", "rename")) {
            assertThat(engine(other, Map.of())).as(other).isEmpty();
        }
    }

    private static Optional<Records.Entry> engine(String action, Map<String, String> attributes) {
        return Records.engineEvent(new EngineEvent(action, ID, attributes, 0));
    }

    private static TiedContainer tied() {
        return new TiedContainer(new ContainerInfo(ID, "mcp-github", "busybox", Map.of(), "running", true,
                Optional.empty(), Instant.EPOCH, true, List.of()), Tie.SESSION, DOCKER, CLAUDE, "instance", "boot", "pidns");
    }

    /** The entry as the writer puts it in a journal of its own: one whole line. */
    private String line(Records.Entry entry) throws IOException {
        Path path = Files.createTempFile(dir, "audit", ".jsonl");
        Files.delete(path);
        try (var journal = new JournalWriter(path, JournalWriter.DEFAULT_MAX_BYTES, 5,
                at("2026-11-21T08:30:01.250Z"))) {
            journal.record(entry);
        }
        return Files.readString(path);
    }
}
