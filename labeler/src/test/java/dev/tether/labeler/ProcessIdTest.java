package dev.tether.labeler;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessIdTest {

    @Test
    void describesAProcessByPidAndExecutableName() {
        assertThat(new ProcessId(4242, 7, "/usr/bin/docker").describe()).isEqualTo("pid 4242 (docker)");
        assertThat(new ProcessId(4242, 7, "/usr/bin/docker").exeName()).isEqualTo("docker");
    }

    @Test
    void saysWhatItDoesNotKnow() {
        assertThat(new ProcessId(4242, 7, "").describe()).isEqualTo("pid 4242 (?)");
        assertThat(new ProcessId(4242, 7, null).exeName()).isEmpty();
        assertThat(ProcessId.UNKNOWN.describe()).isEqualTo("an unknown process");
    }
}
