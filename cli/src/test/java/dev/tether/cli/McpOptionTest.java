package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.labeler.McpDefaults;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class McpOptionTest {

    @ParameterizedTest
    @CsvSource({"2g,2147483648", "2G,2147483648", "2GiB,2147483648", "2gb,2147483648", "512m,536870912",
            "1.5g,1610612736", "64m,67108864", "6291456,6291456", "0,0", "8192k,8388608"})
    void sizesReadAsDockerRunReadsThem(String text, long bytes) {
        assertThat(McpOption.bytes(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2x", "-1g", "g", "", "1.5", "5m"})
    void badSizesSayWhy(String text) {
        assertThatThrownBy(() -> McpOption.bytes(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--mcp-memory '" + text + "' is ");
    }

    @ParameterizedTest
    @CsvSource({"1,1000000000", "0.5,500000000", "2.25,2250000000", "0,0", "0.000000001,1"})
    void cpus(String text, long nanos) {
        assertThat(McpOption.nanoCpus(text)).isEqualTo(nanos);
    }

    @ParameterizedTest
    @ValueSource(strings = {"one", "-1", "0.0000000001", "1e3"})
    void badCpusSayWhy(String text) {
        assertThatThrownBy(() -> McpOption.nanoCpus(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--mcp-cpus '" + text + "' ");
    }

    @Test
    void offByDefault() {
        assertThat(parse()).isEmpty();
    }

    @Test
    void theGatewaysCapsByDefault() {
        assertThat(parse("--mcp-defaults")).contains(new McpDefaults(2L << 30, 1_000_000_000L));
    }

    @Test
    void capsAreConfigurable() {
        assertThat(parse("--mcp-defaults", "--mcp-memory", "512m", "--mcp-cpus", "0.5"))
                .contains(new McpDefaults(512L << 20, 500_000_000L));
    }

    @Test
    void capsWithoutTheOptionAreAnError() {
        assertThatThrownBy(() -> parse("--mcp-memory", "1g")).hasMessage("--mcp-memory applies only with --mcp-defaults; add it");
    }

    private static Optional<McpDefaults> parse(String... args) {
        Up up = new Up();
        new CommandLine(up).parseArgs(args);
        return up.mcp.resolve();
    }
}
