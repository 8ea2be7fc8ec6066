package dev.tether.labeler;

/**
 * What {@code tether up --mcp-defaults} gives a stdio session that did not choose for itself: docker-init as PID 1
 * (so the stop signal reaches a server without a handler), no-new-privileges, and these caps.
 *
 * @param memory   {@code HostConfig.Memory} in bytes; 0 sets none
 * @param nanoCpus {@code HostConfig.NanoCpus}, CPUs times 10^9; 0 sets none
 */
public record McpDefaults(long memory, long nanoCpus) {

    /** What Docker's MCP gateway gives each server: 2 GiB and one CPU. */
    public static final McpDefaults GATEWAY = new McpDefaults(2L << 30, 1_000_000_000L);

    public McpDefaults {
        if (memory < 0 || nanoCpus < 0) {
            throw new IllegalArgumentException("caps cannot be negative: memory " + memory + ", nanoCpus " + nanoCpus);
        }
    }
}
