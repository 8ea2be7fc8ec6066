package dev.tether.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The figures {@code docker stats} would show for the same stats documents (docker/cli's stats_helpers.go). */
class ContainerUsageTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Trimmed from dockerd 20.10 on cgroup v1 here, a busy loop (docker stats said 724KiB, ~100%). */
    private static final String CGROUP_V1 = """
            {"cpu_stats": {"cpu_usage": {"total_usage": 1688953628, "percpu_usage": [69613709, 1623339639]},
                           "system_cpu_usage": 22894980000000, "online_cpus": 2},
             "precpu_stats": {"cpu_usage": {"total_usage": 695569360, "percpu_usage": [69613709, 625955651]},
                              "system_cpu_usage": 22892970000000, "online_cpus": 2},
             "memory_stats": {"usage": 2748416, "stats": {"cache": 1982464, "inactive_file": 1982464,
                              "total_inactive_file": 1982464}}}""";

    @Test
    void cgroupV1MemoryLeavesOutTheInactivePageCacheAndCpuIsTheShareOfAllCpus() throws Exception {
        ContainerUsage u = ContainerUsage.from(JSON.readTree(CGROUP_V1)).orElseThrow();
        assertThat(u.memoryBytes()).isEqualTo(2748416 - 1982464);
        // (1688953628 - 695569360) / (22894980000000 - 22892970000000) * 2 CPUs
        assertThat(u.cpuPercent()).hasValueCloseTo(98.84, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void cgroupV2HasNoTotalInactiveFileAndOnlineCpusMayBeMissing() throws Exception {
        JsonNode v2 = JSON.readTree("""
                {"cpu_stats": {"cpu_usage": {"total_usage": 3000, "percpu_usage": [1, 2, 3, 4]}, "system_cpu_usage": 10000},
                 "precpu_stats": {"cpu_usage": {"total_usage": 1000}, "system_cpu_usage": 6000},
                 "memory_stats": {"usage": 50000000, "stats": {"inactive_file": 10000000, "anon": 40000000}}}""");
        ContainerUsage u = ContainerUsage.from(v2).orElseThrow();
        assertThat(u.memoryBytes()).isEqualTo(40000000);
        assertThat(u.cpuPercent()).hasValueCloseTo(200.0, org.assertj.core.data.Offset.offset(0.001)); // 2000/4000*4
    }

    @Test
    void aFirstSampleHasNoCpuShareAndAStoppedContainerNoUsage() throws Exception {
        JsonNode first = JSON.readTree("""
                {"cpu_stats": {"cpu_usage": {"total_usage": 3000}, "system_cpu_usage": 10000, "online_cpus": 1},
                 "precpu_stats": {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0},
                 "memory_stats": {"usage": 4096, "stats": {}}}""");
        assertThat(ContainerUsage.from(first).orElseThrow().cpuPercent()).isEmpty();
        assertThat(ContainerUsage.from(first).orElseThrow().memoryBytes()).isEqualTo(4096);
        assertThat(ContainerUsage.from(JSON.readTree("{\"memory_stats\": {}, \"cpu_stats\": {}}"))).isEmpty();
    }
}
