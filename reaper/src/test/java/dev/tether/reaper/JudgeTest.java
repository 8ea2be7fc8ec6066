package dev.tether.reaper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.docker.ContainerInfo;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import dev.tether.process.Liveness;

class JudgeTest {

    private static final ProcessId OWNER = new ProcessId(100, 1000, "/usr/bin/docker");
    private static final ProcessId HOST = new ProcessId(90, 900, "/usr/bin/node");
    private static final String SELF = "50-500";
    private static final String BOOT = "boot-a";
    private static final String PIDNS = "pid:[4026531836]";

    private Set<ProcessId> alive = Set.of(OWNER, HOST, new ProcessId(50, 500, ""));

    private Judge judge() {
        return new Judge(SELF, BOOT, PIDNS, p -> alive.stream().anyMatch(a -> a.pid() == p.pid() && a.startTicks() == p.startTicks())
                ? Liveness.ALIVE : Liveness.DEAD);
    }

    @Test
    void anOwnerTieIsReapedWhenTheOwnerDiesAndOnlyThen() {
        assertThat(judge().judge(container("owner", Map.of()))).isInstanceOf(Verdict.Watch.class);

        alive = Set.of(HOST);
        assertThat(judge().judge(container("owner", Map.of()))).isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, OWNER));
    }

    @Test
    void aSessionEndsWithItsOwnerOrItsHost() {
        alive = Set.of(OWNER);
        assertThat(judge().judge(container("session", Map.of()))).isEqualTo(new Verdict.Reap(Reason.HOST_EXITED, HOST));
        alive = Set.of(HOST);
        assertThat(judge().judge(container("session", Map.of()))).isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, OWNER));
    }

    @Test
    void aSessionThatExitedByItselfIsLeftAsTheEngineWouldLeaveIt() {
        alive = Set.of(HOST);
        TiedContainer exited = TiedContainer.of(withState(container("session", Map.of()), "exited", false)).orElseThrow();
        TiedContainer exitedRm = TiedContainer.of(withState(container("session", Map.of()), "exited", true)).orElseThrow();

        assertThat(judge().judge(exited)).isEqualTo(new Verdict.Spare(
                "its session exited by itself and its client did not ask to remove it (no --rm)"));
        assertThat(judge().judge(exitedRm)).as("--rm: the client asked for its removal")
                .isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, OWNER));
    }

    @Test
    void anOwnerTieEndsWithItsOwnerWhateverTheContainersState() {
        alive = Set.of(HOST);
        for (String state : List.of("exited", "created", "running")) {
            TiedContainer c = TiedContainer.of(withState(container("owner", Map.of()), state, false)).orElseThrow();
            assertThat(judge().judge(c)).as(state).isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, OWNER));
        }
    }

    private static ContainerInfo withState(TiedContainer c, String state, boolean autoRemove) {
        ContainerInfo i = c.info();
        return new ContainerInfo(i.id(), i.name(), i.image(), i.labels(), state, autoRemove, i.stopTimeout(), i.created(),
                i.stdinAttached(), i.command());
    }

    @Test
    void aHostTieIgnoresTheOwner() {
        alive = Set.of(HOST);
        assertThat(judge().judge(container("host", Map.of()))).isInstanceOf(Verdict.Watch.class);
    }

    @Test
    void aReusedPidIsADeadOwner() {
        alive = Set.of(new ProcessId(OWNER.pid(), OWNER.startTicks() + 1, ""), HOST);
        assertThat(judge().judge(container("owner", Map.of()))).isInstanceOf(Verdict.Reap.class);
    }

    @Test
    void tieNoneIsNeverReaped() {
        alive = Set.of();
        assertThat(judge().judge(container("none", Map.of()))).isInstanceOf(Verdict.Spare.class);
    }

    @Test
    void anotherLiveTethersContainersAreLeftToIt() {
        alive = Set.of(new ProcessId(60, 600, ""));
        Verdict verdict = judge().judge(container("owner", Map.of(TetherLabels.INSTANCE, "60-600")));
        assertThat(verdict).isInstanceOf(Verdict.Spare.class);
        assertThat(((Verdict.Spare) verdict).why()).contains("another running tether");
    }

    @Test
    void anotherLiveTethersContainerWithADeadOwnerIsNotWatchedEither() {
        // watching a dead owner fires at once: re-judging and re-watching would spin
        alive = Set.of(new ProcessId(60, 600, ""));
        assertThat(judge().judge(container("owner", Map.of(TetherLabels.INSTANCE, "60-600")))).isInstanceOf(Verdict.Spare.class);
    }

    @Test
    void containersLabelledInAnotherPidNamespaceAreNotJudged() {
        alive = Set.of();
        Verdict verdict = judge().judge(container("owner", Map.of(TetherLabels.PID_NAMESPACE, "pid:[4026532999]")));
        assertThat(verdict).isInstanceOf(Verdict.Spare.class);
        assertThat(((Verdict.Spare) verdict).why()).contains("another PID namespace");
    }

    @Test
    void aSessionWithAnUnidentifiedHostIsWatchedThroughItsOwner() {
        Verdict verdict = judge().judge(container("session", Map.of(TetherLabels.HOST_PID, "0")));
        assertThat(verdict).isInstanceOf(Verdict.Watch.class);
        alive = Set.of();
        assertThat(judge().judge(container("session", Map.of(TetherLabels.HOST_PID, "0"))))
                .isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, OWNER));
    }

    @Test
    void aDeadTethersContainersAreJudgedByTheirOwner() {
        alive = Set.of();
        assertThat(judge().judge(container("owner", Map.of(TetherLabels.INSTANCE, "60-600")))).isInstanceOf(Verdict.Reap.class);
    }

    @Test
    void anUnreadableInstanceIsTreatedAsAliveHandsOff() {
        alive = Set.of();
        assertThat(judge().judge(container("owner", Map.of(TetherLabels.INSTANCE, "someone-else")))).isInstanceOf(Verdict.Spare.class);
    }

    @Test
    void afterARebootEveryLabelledProcessIsDeadWhateverItsPidNow() {
        // same pid and start time alive again: a coincidence of the new boot
        Verdict verdict = judge().judge(container("owner", Map.of(TetherLabels.BOOT, "boot-before")));
        assertThat(verdict).isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, OWNER));
    }

    @Test
    void anUnidentifiedOwnerIsNeverReaped() {
        alive = Set.of();
        assertThat(judge().judge(container("owner", Map.of(TetherLabels.OWNER_PID, "0")))).isInstanceOf(Verdict.Spare.class);
    }

    @Test
    void whatAContainerWaitsOnLivesByTheJudgesRule() {
        assertThat(judge().tiesLiveness(container("owner", Map.of()))).contains(Liveness.ALIVE);
        assertThat(judge().tiesLiveness(container("none", Map.of()))).as("tie=none waits on nothing").isEmpty();
        assertThat(judge().tiesLiveness(container("owner", Map.of(TetherLabels.BOOT, "boot-before"))))
                .as("after a reboot").contains(Liveness.DEAD);
        assertThat(judge().tiesLiveness(container("owner", Map.of(TetherLabels.OWNER_PID, "0"))))
                .as("an owner never identified").contains(Liveness.UNKNOWN);
        assertThat(judge().tiesLiveness(container("session", Map.of(TetherLabels.HOST_PID, "0"))))
                .as("a session without a host waits on its owner").contains(Liveness.ALIVE);

        alive = Set.of(OWNER, new ProcessId(60, 600, ""));
        assertThat(judge().tiesLiveness(container("session", Map.of()))).as("its host died").contains(Liveness.DEAD);
        assertThat(judge().tiesLiveness(container("host", Map.of(TetherLabels.INSTANCE, "60-600"))))
                .as("another tether's container: spared, yet its host is dead").contains(Liveness.DEAD);
    }

    // ---------------------------------------------------------------- a session launched through wrappers

    /** An MCP host (not a session leader) under a terminal's shell, which ran docker through sh -c: CLI <- HOST <- ... */
    private static final ProcessId LAUNCHER = new ProcessId(80, 800, "");
    private static final ProcessId LEADER = new ProcessId(70, 700, "");
    private static final Map<String, String> CHAIN = Map.of(TetherLabels.ANCESTORS, "90-900,80-800,70-700");

    @Test
    void aSessionEndsWhenAnyRecordedAncestorDiesNamingTheNearestDead() {
        alive = Set.of(OWNER, HOST, LAUNCHER, LEADER);
        assertThat(judge().judge(container("session", CHAIN))).isEqualTo(new Verdict.Watch("pid 90 is alive"));

        alive = Set.of(OWNER, HOST, LEADER);
        assertThat(judge().judge(container("session", CHAIN))).as("the launcher above the wrapper died")
                .isEqualTo(new Verdict.Reap(Reason.HOST_EXITED, LAUNCHER));
        alive = Set.of(OWNER, HOST, LAUNCHER);
        assertThat(judge().judge(container("session", CHAIN))).as("the terminal's shell closed")
                .isEqualTo(new Verdict.Reap(Reason.HOST_EXITED, LEADER));
        alive = Set.of(OWNER, LEADER);
        assertThat(judge().judge(container("session", CHAIN))).as("the host itself, named with its exe")
                .isEqualTo(new Verdict.Reap(Reason.HOST_EXITED, HOST));
        alive = Set.of(HOST, LAUNCHER, LEADER);
        assertThat(judge().judge(container("session", CHAIN))).isEqualTo(new Verdict.Reap(Reason.OWNER_EXITED, OWNER));
    }

    @Test
    void onlyASessionWaitsOnTheAncestorsAboveItsHost() {
        alive = Set.of(OWNER, HOST);
        assertThat(judge().judge(container("owner", CHAIN))).isInstanceOf(Verdict.Watch.class);
        assertThat(judge().judge(container("host", CHAIN))).isInstanceOf(Verdict.Watch.class);
        assertThat(judge().judge(container("none", CHAIN))).isInstanceOf(Verdict.Spare.class);
        assertThat(container("host", CHAIN).tiedTo()).containsExactly(HOST);
    }

    @Test
    void aSessionWatchesItsOwnerAndEveryRecordedAncestor() {
        assertThat(container("session", CHAIN).tiedTo()).containsExactly(OWNER, HOST, LAUNCHER, LEADER);
        assertThat(container("session", Map.of()).tiedTo()).as("labelled before ancestries were").containsExactly(OWNER, HOST);
        assertThat(container("session", Map.of(TetherLabels.ANCESTORS, "90-900")).tiedTo()).containsExactly(OWNER, HOST);

        alive = Set.of(OWNER, HOST, LAUNCHER);
        assertThat(judge().tiesLiveness(container("session", CHAIN))).contains(Liveness.DEAD);
    }

    @Test
    void anAncestryThatDoesNotBeginWithTheHostIsReadAsTheHostAlone() {
        alive = Set.of(OWNER, HOST);
        for (String label : List.of("91-900,80-800", "garbage", "90-900,x")) {
            TiedContainer c = container("session", Map.of(TetherLabels.ANCESTORS, label));
            assertThat(c.tiedTo()).as(label).containsExactly(OWNER, HOST);
            assertThat(judge().judge(c)).as(label).isInstanceOf(Verdict.Watch.class);
        }
    }

    @Test
    void aCliReparentedAwayFromItsRecordedParentEndsItsSession() {
        alive = Set.of(OWNER, HOST, LAUNCHER, LEADER);
        ProcessId init = new ProcessId(1, 1, "/sbin/init");
        Judge orphaned = new Judge(SELF, BOOT, PIDNS, judge().liveness(), p -> p.equals(OWNER) ? init : ProcessId.UNKNOWN);
        Judge unreadable = new Judge(SELF, BOOT, PIDNS, judge().liveness(), p -> ProcessId.UNKNOWN);
        Judge stillItsChild = new Judge(SELF, BOOT, PIDNS, judge().liveness(), p -> p.equals(OWNER) ? HOST : ProcessId.UNKNOWN);

        assertThat(orphaned.judge(container("session", CHAIN))).as("its parent is init now, whatever the host's pid reads")
                .isEqualTo(new Verdict.Reap(Reason.HOST_EXITED, HOST));
        assertThat(unreadable.judge(container("session", CHAIN))).isInstanceOf(Verdict.Watch.class);
        assertThat(stillItsChild.judge(container("session", CHAIN))).isInstanceOf(Verdict.Watch.class);
        assertThat(orphaned.judge(container("owner", CHAIN))).as("an owner tie has no host to leave")
                .isInstanceOf(Verdict.Watch.class);
        assertThat(orphaned.judge(container("session", Map.of(TetherLabels.HOST_PID, "0"))))
                .as("no recorded parent to compare with").isInstanceOf(Verdict.Watch.class);
    }

    @Test
    void labelsNotInTethersShapeAreNotTethersContainer() {
        assertThat(TiedContainer.of(info(Map.of("dev.tether.tie", "owner")))).as("no instance").isEmpty();
        assertThat(TiedContainer.of(info(Map.of("dev.tether.tie", "forever", TetherLabels.INSTANCE, "1-1")))).isEmpty();
        assertThat(TiedContainer.of(info(Map.of()))).isEmpty();
    }

    private static TiedContainer container(String tie, Map<String, String> overrides) {
        Map<String, String> labels = new HashMap<>(Map.of(
                TetherLabels.TIE, tie,
                TetherLabels.OWNER_PID, "100", TetherLabels.OWNER_START, "1000", TetherLabels.OWNER_EXE, "/usr/bin/docker",
                TetherLabels.HOST_PID, "90", TetherLabels.HOST_START, "900", TetherLabels.HOST_EXE, "/usr/bin/node",
                TetherLabels.INSTANCE, SELF, TetherLabels.BOOT, BOOT, TetherLabels.PID_NAMESPACE, PIDNS));
        labels.putAll(overrides);
        return TiedContainer.of(info(labels)).orElseThrow();
    }

    private static ContainerInfo info(Map<String, String> labels) {
        return new ContainerInfo("abc", "name", "image", labels, "running", true, Optional.empty(), Instant.EPOCH,
                false, List.of());
    }
}
