package dev.tether.cli;

import dev.tether.docker.ContainerUsage;
import dev.tether.docker.EngineClient;
import dev.tether.reaper.TiedContainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** What tied containers cost now, from the engine's stats: for {@code tether ps}'s columns and {@code status}'s totals. */
final class Costs {

    private Costs() {}

    /** A tied container and what it costs now; no usage when it is not running. */
    record Costed(TiedContainer c, Optional<ContainerUsage> usage) {}

    /**
     * Each running container's usage, asked all at once: the engine takes about a second per stats answer (it
     * samples CPU twice), so a dozen servers asked one by one would take a dozen seconds.
     */
    static List<Costed> of(EngineClient client, List<TiedContainer> tied) throws InterruptedException {
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Optional<ContainerUsage>>> asked = tied.stream().map(c -> pool.submit(() -> c.info().isRunning()
                    ? client.usage(c.id()) : Optional.<ContainerUsage>empty())).toList();
            List<Costed> rows = new ArrayList<>();
            for (int i = 0; i < tied.size(); i++) {
                Optional<ContainerUsage> usage;
                try {
                    usage = asked.get(i).get();
                } catch (ExecutionException e) {
                    usage = Optional.empty(); // gone meanwhile, or the engine would not say: shown as "-"
                }
                rows.add(new Costed(tied.get(i), usage));
            }
            return rows;
        }
    }

    /** The sum of some containers' usage; CPU counts those the engine could sample. */
    record Total(int running, long memoryBytes, OptionalDouble cpuPercent) {
        static Total of(List<ContainerUsage> usages) {
            double cpu = 0;
            boolean sampled = false;
            for (ContainerUsage u : usages) {
                if (u.cpuPercent().isPresent()) {
                    cpu += u.cpuPercent().getAsDouble();
                    sampled = true;
                }
            }
            return new Total(usages.size(), usages.stream().mapToLong(ContainerUsage::memoryBytes).sum(),
                    sampled ? OptionalDouble.of(cpu) : OptionalDouble.empty());
        }
    }
}
