package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.daemon.Durations;
import dev.tether.daemon.Settings;
import dev.tether.proxy.ProxyConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code tether up}'s durations as users write them, and the defaults that {@link Settings} holds. */
class UpOptionsTest {

    @Test
    void durationsReadAsUsersWriteThem() {
        Up up = parse("--grace", "500ms", "--sweep-interval", "2m", "--head-timeout", "1h", "--drain", "7");
        assertThat(up.grace).isEqualTo(Duration.ofMillis(500));
        assertThat(up.sweepInterval).isEqualTo(Duration.ofMinutes(2));
        assertThat(up.headTimeout).isEqualTo(Duration.ofHours(1));
        assertThat(up.drain).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void theDefaultsAreSettings() {
        Up up = parse();
        assertThat(up.grace).isEqualTo(Durations.parse(Settings.GRACE)).isEqualTo(Duration.ofSeconds(3));
        assertThat(up.sweepInterval).isEqualTo(Durations.parse(Settings.SWEEP_INTERVAL));
        assertThat(up.headTimeout).isEqualTo(Durations.parse(Settings.HEAD_TIMEOUT))
                .as("the relay's own default, for a proxy started without settings").isEqualTo(ProxyConfig.HEAD_TIMEOUT);
        assertThat(up.drain).isEqualTo(Durations.parse(Settings.DRAIN));
    }

    @Test
    void aBadDurationSaysWhatToWrite() {
        assertThatThrownBy(() -> parse("--grace", "3x"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--grace")
                .hasMessageContaining("'3x' is not a duration: write 3s, 500ms, 2m or 1h");
    }

    @Test
    void aBadSizeSaysWhatToWrite() {
        assertThatThrownBy(() -> parse("--mcp-defaults", "--mcp-memory", "2x"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--mcp-memory '2x' is not a size");
    }

    private static Up parse(String... args) {
        Up up = new Up();
        new CommandLine(up).parseArgs(args);
        return up;
    }
}
