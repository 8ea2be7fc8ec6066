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
