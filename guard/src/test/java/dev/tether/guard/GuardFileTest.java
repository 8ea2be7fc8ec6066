package dev.tether.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.ProcessId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The guard file's line, as the launcher (./tether, register_guard) writes it. */
class GuardFileTest {

    @Test
    void aWholeLineIsAGuard() {
        var parsed = GuardFile.parse("200-7000", "host=100-5000 server=200-7000 grace=500ms cgroup=/sys/fs/cgroup/tether/200-7000\n", 1000);
        assertThat(parsed).isEqualTo(new GuardFile.Parsed.Valid(new GuardFile("200-7000", new ProcessId(100, 5000, ""),
                new ProcessId(200, 7000, ""), Optional.of(Duration.ofMillis(500)),
                Optional.of(Path.of("/sys/fs/cgroup/tether/200-7000")), 1000)));
    }

    @Test
    void dashesMeanTheTethersGraceAndNoCgroup() {
        var parsed = (GuardFile.Parsed.Valid) GuardFile.parse("200-7000", "host=100-5000 server=200-7000 grace=- cgroup=-\n", 0);
        assertThat(parsed.guard().grace()).isEmpty();
        assertThat(parsed.guard().cgroup()).isEmpty();
        assertThat(((GuardFile.Parsed.Valid) GuardFile.parse("200-7000", "host=1-2 server=200-7000 grace=2 cgroup=-\n", 0))
                .guard().grace()).contains(Duration.ofSeconds(2));
    }

    @Test
    void aLineBeingWrittenOrNotNamingItsFileIsNoGuard() {
        assertThat(GuardFile.parse("200-7000", "host=100-5000 server=200-7000 grace=- cgroup=-", 0))
                .as("no newline yet").isInstanceOf(GuardFile.Parsed.Invalid.class);
        assertThat(GuardFile.parse("200-7001", "host=100-5000 server=200-7000 grace=- cgroup=-\n", 0))
                .as("another server's line").isInstanceOf(GuardFile.Parsed.Invalid.class);
        assertThat(GuardFile.parse("200-7000", "host=100-5000 server=200-7000 grace=soon cgroup=-\n", 0))
                .as("no duration").isInstanceOf(GuardFile.Parsed.Invalid.class);
        assertThat(GuardFile.isId("cgroup")).isFalse();
        assertThat(GuardFile.isId("200-7000")).isTrue();
    }
}
