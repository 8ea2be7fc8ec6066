package dev.tether.cli;

import dev.tether.labeler.McpDefaults;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** {@code --mcp-defaults} and its caps: what a stdio session's HostConfig gets unless the client chose. */
final class McpOption {

    /** As docker run --memory reads it (go-units RAMInBytes): binary multiples, an optional i and b. */
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?) ?([kmgtp])?i?b?", Pattern.CASE_INSENSITIVE);
    private static final Pattern CPUS = Pattern.compile("\\d+(?:\\.\\d+)?");
    /** The engine refuses a smaller Memory. */
    private static final long MIN_MEMORY = 6L << 20;

    @Option(names = "--mcp-defaults",
            description = "Give stdio sessions (docker run -i) Init, no-new-privileges, and the caps of --mcp-memory and --mcp-cpus, unless they set their own.")
    boolean enabled;

    @Option(names = "--mcp-memory", paramLabel = "SIZE",
            converter = Size.class,
            description = "With --mcp-defaults: HostConfig.Memory for a session that sets no memory limit; 0 for none (default: 2g).")
    Long memory;

    @Option(names = "--mcp-cpus", paramLabel = "CPUS", converter = Cpus.class,
            description = "With --mcp-defaults: HostConfig.NanoCpus for a session that sets no CPU limit; 0 for none (default: 1).")
    Long cpus;

    Optional<McpDefaults> resolve() {
        if (!enabled) {
            if (memory != null || cpus != null) {
                throw new IllegalArgumentException((memory != null ? "--mcp-memory" : "--mcp-cpus")
                        + " applies only with --mcp-defaults; add it");
            }
            return Optional.empty();
        }
        return Optional.of(new McpDefaults(
                memory == null ? McpDefaults.GATEWAY.memory() : memory,
                cpus == null ? McpDefaults.GATEWAY.nanoCpus() : cpus));
    }

    static long bytes(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("--mcp-memory '" + text + "' is not a size: write 2g, 512m or 0 for no cap");
        }
        int shift = m.group(2) == null ? 0 : 10 * ("kmgtp".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1);
        long bytes;
        try {
            bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift)).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("--mcp-memory '" + text + "' is not a whole number of bytes below 8 EiB");
        }
        if (bytes != 0 && bytes < MIN_MEMORY) {
            throw new IllegalArgumentException("--mcp-memory '" + text + "' is below the engine's minimum of 6m; write 6m or more, or 0 for no cap");
        }
        return bytes;
    }

    static long nanoCpus(String text) {
        if (!CPUS.matcher(text.strip()).matches()) {
            throw new IllegalArgumentException("--mcp-cpus '" + text + "' is not a number of CPUs: write 1, 0.5 or 0 for no cap");
        }
        try {
            return new BigDecimal(text.strip()).movePointRight(9).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("--mcp-cpus '" + text + "' has more than nine decimals or is too large");
        }
    }

    /** {@code --mcp-memory} in bytes, read as {@link #bytes}. */
    static final class Size extends Converter<Long> {
        Size() {
            super(McpOption::bytes);
        }
    }

    /** {@code --mcp-cpus} in billionths of a CPU, read as {@link #nanoCpus}. */
    static final class Cpus extends Converter<Long> {
        Cpus() {
            super(McpOption::nanoCpus);
        }
    }
}
