package dev.tether.docker;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What a container costs now, computed from the engine's {@code GET /containers/{id}/stats?stream=false} answer the
 * way {@code docker stats} computes it, so that the two agree: memory is the cgroup's usage less its inactive page
 * cache, CPU is the share of one CPU over the engine's last sampling interval (200 % is two CPUs busy).
 *
 * @param memoryBytes memory in use, page cache that the kernel may drop left out
 * @param cpuPercent empty when the engine gave no earlier sample to compare with (a container that just started)
 */
public record ContainerUsage(long memoryBytes, OptionalDouble cpuPercent) {

    /** The usage in a stats document; empty for one with no memory figure (a container that is not running). */
    public static Optional<ContainerUsage> from(JsonNode stats) {
        JsonNode memory = stats.path("memory_stats");
        if (!memory.path("usage").canConvertToLong()) {
            return Optional.empty();
        }
        return Optional.of(new ContainerUsage(memoryLessCache(memory), cpuPercent(stats)));
    }

    /** docker/cli's calculateMemUsageUnixNoCache: cgroup v1 reports total_inactive_file, v2 inactive_file. */
    private static long memoryLessCache(JsonNode memory) {
        long usage = memory.path("usage").asLong();
        JsonNode s = memory.path("stats");
        JsonNode inactive = s.has("total_inactive_file") ? s.path("total_inactive_file") : s.path("inactive_file");
        long cache = inactive.asLong(0);
        return cache < usage ? usage - cache : usage;
    }

    private static OptionalDouble cpuPercent(JsonNode stats) {
        JsonNode now = stats.path("cpu_stats");
        JsonNode before = stats.path("precpu_stats");
        long cpu = now.at("/cpu_usage/total_usage").asLong() - before.at("/cpu_usage/total_usage").asLong();
        long system = now.path("system_cpu_usage").asLong() - before.path("system_cpu_usage").asLong();
        if (!before.at("/cpu_usage/total_usage").canConvertToLong() || before.path("system_cpu_usage").asLong() == 0
                || system <= 0 || cpu < 0) {
            return OptionalDouble.empty();
        }
        int cpus = now.path("online_cpus").asInt(0);
        if (cpus == 0) {
            cpus = Math.max(1, now.at("/cpu_usage/percpu_usage").size());
        }
        return OptionalDouble.of((double) cpu / system * cpus * 100.0);
    }
}
