package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.ProcessId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
