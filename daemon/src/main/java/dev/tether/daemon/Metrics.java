package dev.tether.daemon;

import dev.tether.proxy.Route;
import dev.tether.reaper.Reaped;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/** What tether counts, in the Prometheus text format on the control socket's {@code /metrics}. */
final class Metrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter connections = Counter.builder().name("tether_connections_total")
            .help("Client connections accepted on the Docker socket").register(registry);
    private final Counter requests = Counter.builder().name("tether_requests_total")
            .help("Requests relayed, by route class").labelNames("route").register(registry);
    /** Each route's counter, looked up once: counting a relayed request costs no label lookup or allocation. */
    private final Map<Route, CounterDataPoint> requestsByRoute = new EnumMap<>(Route.class);
    private final Counter creates = Counter.builder().name("tether_creates_total")
            .help("Containers created through tether, by tie mode").labelNames("tie").register(registry);
    private final Counter reaps = Counter.builder().name("tether_reaps_total")
            .help("Containers reaped, by reason").labelNames("reason").register(registry);
    private final Histogram deathToGone = Histogram.builder().name("tether_reap_death_to_gone_seconds")
            .help("From noticing a death to the container being gone")
            .classicUpperBounds(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32).register(registry);
    private final Counter upstreamErrors = Counter.builder().name("tether_upstream_errors_total")
            .help("Connections to the engine that failed").register(registry);

    Metrics(LongSupplier droppedJournalRecords) {
        for (Route route : Route.values()) {
            requestsByRoute.put(route, requests.labelValues(route.name().toLowerCase(Locale.ROOT)));
        }
        GaugeWithCallback.builder().name("tether_journal_dropped_records")
                .help("Audit records dropped because the journal was not writable")
                .callback(cb -> cb.call(droppedJournalRecords.getAsLong())).register(registry);
    }

    /** Counts {@code openConnections} from now on: the relay starts after the metrics that count for it. */
    void countOpenConnections(LongSupplier openConnections) {
        GaugeWithCallback.builder().name("tether_connections_open")
                .help("Connections open now, clients' and the engine connections opened for them")
                .callback(cb -> cb.call(openConnections.getAsLong())).register(registry);
    }

    void connectionOpened() {
        connections.inc();
    }

    void requestSeen(Route route) {
        requestsByRoute.get(route).inc();
    }

    void created(String tie) {
        creates.labelValues(tie).inc();
    }

    void reaped(Reaped reaped) {
        reaps.labelValues(reaped.reason().code()).inc();
        deathToGone.observe(reaped.noticeToGone().toNanos() / 1e9);
    }

    void upstreamFailed() {
        upstreamErrors.inc();
    }

    String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
