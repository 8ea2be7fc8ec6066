package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.Ancestry;
import dev.tether.labeler.ProcessId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessesTest {

    private final Children children = new Children();

    @AfterEach
    void killChildren() {
        children.close();
    }

    @Test
    void thisJvmIsAlive() {
        ProcessId self = Processes.self();

        assertThat(self.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(self.exe()).endsWith("/java");
        assertThat(Processes.liveness(self)).isEqualTo(Liveness.ALIVE);
        assertThat(Processes.isAlive(self)).isTrue();
    }

    @Test
    void exitedProcessIsDead() throws Exception {
        Process child = children.start("sleep", "60");
        ProcessId id = children.identify(child);
        child.destroyForcibly().waitFor();

        assertThat(Processes.liveness(id)).isEqualTo(Liveness.DEAD);
        assertThat(Processes.isAlive(id)).isFalse();
        assertThat(Processes.stat(id.pid())).isEmpty();
        assertThat(Processes.identify(id.pid())).isEqualTo(ProcessId.UNKNOWN);
    }

    @Test
    void reusedPidIsDead() {
        ProcessId self = Processes.self();
        ProcessId earlier = new ProcessId(self.pid(), self.startTicks() - 1, self.exe());

        assertThat(Processes.liveness(earlier)).isEqualTo(Liveness.DEAD);
        assertThat(Processes.isAlive(earlier)).isFalse();
    }

    @Test
    void zombieIsDead() {
        ProcessId zombie = children.zombie();

        assertThat(Processes.liveness(zombie)).isEqualTo(Liveness.DEAD);
        assertThat(Processes.isAlive(zombie)).isFalse();
    }

    @Test
    void unknownProcessCannotBeJudged() {
        assertThat(Processes.liveness(ProcessId.UNKNOWN)).isEqualTo(Liveness.UNKNOWN);
        assertThat(Processes.liveness(new ProcessId(-1, 5, ""))).isEqualTo(Liveness.UNKNOWN);
        assertThat(Processes.isAlive(ProcessId.UNKNOWN)).isFalse();
        assertThat(Processes.stat(0)).isEmpty();
        assertThat(Processes.identify(0)).isEqualTo(ProcessId.UNKNOWN);
    }

    @Test
    void parentOfAChildIsThisJvm() {
        ProcessId child = children.startSleep();

        assertThat(Processes.parentOf(child)).isEqualTo(Processes.self());
        assertThat(Processes.parentOf(new ProcessId(child.pid(), child.startTicks() + 1, ""))).isEqualTo(ProcessId.UNKNOWN);
        assertThat(Processes.parentOf(ProcessId.UNKNOWN)).isEqualTo(ProcessId.UNKNOWN);
    }

    @Test
    void ancestryGoesUpThroughWrappersToTheFirstSessionLeader() {
        // setsid execs sh in place (a child of this JVM leads no process group), so the leader is our child; it starts
        // a wrapper shell that does not exec, which starts sleep: sleep <- wrapper <- leader, as an MCP host's
        // sh -c "docker run …; true" sits under the host.
        Process leader = children.start("setsid", "sh", "-c", "sh -c 'sleep 60; true' & echo $!; wait");
        long wrapperPid = Long.parseLong(Children.firstLine(leader).strip());
        ProcessHandle wrapper = ProcessHandle.of(wrapperPid).orElseThrow();
        Children.await("the wrapper's sleep", () -> wrapper.children().findAny().isPresent());
        ProcessId sleep = Processes.identify(wrapper.children().findFirst().orElseThrow().pid());

        Ancestry ancestry = Processes.ancestry(sleep);

        assertThat(ancestry.processes()).as("the leader is the stop: this JVM above it is not recorded")
                .containsExactly(Processes.identify(wrapperPid), Processes.identify(leader.pid()));
        assertThat(Processes.stat(leader.pid()).orElseThrow().leadsSession(leader.pid())).isTrue();
        assertThat(Processes.stat(wrapperPid).orElseThrow().leadsSession(wrapperPid)).isFalse();
        assertThat(Processes.ancestry(Processes.identify(leader.pid())).processes())
                .as("a session leader's own ancestry begins with its parent").startsWith(Processes.self());
    }

    @Test
    void ancestryAboveProcessesThatLeadNoSessionEndsAtALeaderOrInit() {
        Process wrapper = children.start("sh", "-c", "sleep 60; true");
        Children.await("the wrapper's sleep", () -> wrapper.children().findAny().isPresent());
        ProcessId sleep = Processes.identify(wrapper.children().findFirst().orElseThrow().pid());

        List<ProcessId> chain = Processes.ancestry(sleep).processes();

        assertThat(chain).startsWith(children.identify(wrapper), Processes.self()).hasSizeLessThanOrEqualTo(Ancestry.MAX);
        ProcessId last = chain.getLast();
        if (chain.size() < Ancestry.MAX) {
            assertThat(last.pid() == 1 || Processes.stat(last.pid()).orElseThrow().leadsSession(last.pid()))
                    .as("%s ends the chain: init or a session leader", last.describe()).isTrue();
        }
        for (ProcessId p : chain.subList(0, chain.size() - 1)) {
            assertThat(p.pid()).as("init ends a chain").isNotEqualTo(1);
            assertThat(Processes.stat(p.pid()).orElseThrow().leadsSession(p.pid())).as("%s leads a session, yet the"
                    + " chain went on past it", p.describe()).isFalse();
        }
    }

    @Test
    void aGoneProcessHasNoAncestry() throws Exception {
        Process child = children.start("sleep", "60");
        ProcessId id = children.identify(child);

        assertThat(Processes.ancestry(new ProcessId(id.pid(), id.startTicks() + 1, ""))).as("a reused pid")
                .isEqualTo(Ancestry.NONE);
        child.destroyForcibly().waitFor();
        assertThat(Processes.ancestry(id)).isEqualTo(Ancestry.NONE);
        assertThat(Processes.ancestry(ProcessId.UNKNOWN)).isEqualTo(Ancestry.NONE);
    }

    @Test
    void commandNameWithParenthesesAndSpacesIsParsed(@TempDir Path dir) throws Exception {
        // The kernel names a process after the file it executed: this one's stat line reads "PID (x) 1 (y) S PPID ...".
        Path sleep = Path.of(Files.exists(Path.of("/usr/bin/sleep")) ? "/usr/bin/sleep" : "/bin/sleep");
        Path odd = Files.copy(sleep, dir.resolve("x) 1 (y"));
        assertThat(odd.toFile().setExecutable(true)).isTrue();
        Process child = children.start(odd.toString(), "60");

        Processes.Stat stat = Processes.stat(child.pid()).orElseThrow();

        assertThat(stat.parent()).isEqualTo(ProcessHandle.current().pid());
        assertThat(stat.state()).isIn('R', 'S');
        assertThat(stat.startTicks()).isPositive().isGreaterThanOrEqualTo(Processes.self().startTicks());
        assertThat(Processes.commandLine(child.pid())).containsExactly(odd.toString(), "60");
        assertThat(Processes.exe(child.pid())).isEqualTo(odd.toRealPath().toString());
    }

    @Test
    void bootIdIsAUuid() {
        assertThat(Processes.bootId()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    }

    @Test
    void aProcessStartedWhenTheJdkSaysItDid() {
        Instant jdk = ProcessHandle.current().info().startInstant().orElseThrow();

        Instant ours = Processes.startedAt(Processes.self()).orElseThrow();

        // btime has whole seconds and the JDK rounds its own way: within a second and a half of each other
        assertThat(Duration.between(jdk, ours).abs()).isLessThan(Duration.ofMillis(1500));
        assertThat(Processes.startedAt(ProcessId.UNKNOWN)).isEmpty();
    }
}
