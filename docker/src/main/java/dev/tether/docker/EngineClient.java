package dev.tether.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.Closeable;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine as tether's reaper and sweeps see it: list, inspect, stop, remove and follow events. 404, 304 and 409
 * answers are the normal result of races with clients and AutoRemove, and are reported as such, not thrown.
 */
public final class EngineClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EngineClient.class);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Endpoint endpoint;
    /**
     * docker-java and its HTTP stack take a few hundred milliseconds to load; they are built in the background so that
     * tether's socket answers first. Nothing reaches the engine through them before the reaper starts.
     */
    private final CompletableFuture<Transport> transport;

    private record Transport(DockerHttpClient http, DockerClient docker) {}

    private EngineClient(Endpoint endpoint) {
        this.endpoint = endpoint;
        this.transport = CompletableFuture.supplyAsync(() -> {
            DockerHttpClient http = DockerClients.httpClient(endpoint);
            return new Transport(http, DockerClients.connect(endpoint, http));
        }, runnable -> Thread.ofPlatform().daemon().name("tether-engine-client").start(runnable));
    }

    public static EngineClient connect(Endpoint endpoint) {
        return new EngineClient(endpoint);
    }

    private DockerClient docker() {
        return transport().docker();
    }

    private Transport transport() {
        try {
            return transport.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** The ids of every container, in any state, that carries {@code label}. */
    public List<String> containersLabelled(String label) {
        return List.copyOf(labelsOfContainersLabelled(label).keySet());
    }

    /** The ids of every container, in any state, that carries all of {@code labels} ({@code KEY} or {@code KEY=VALUE}). */
    public List<String> containersLabelled(List<String> labels) {
        return docker().listContainersCmd().withShowAll(true).withLabelFilter(labels).exec().stream()
                .map(Container::getId).toList();
    }

    /**
     * The inspect documents of the running containers that carry all of {@code labels} ({@code KEY} or
     * {@code KEY=VALUE}; none: every running container). One that goes meanwhile is left out.
     */
    public List<JsonNode> inspectRunning(List<String> labels) {
        var list = docker().listContainersCmd();
        if (!labels.isEmpty()) {
            list.withLabelFilter(labels);
        }
        List<JsonNode> found = new java.util.ArrayList<>();
        for (Container c : list.exec()) {
            inspectTree(c.getId()).ifPresent(found::add);
        }
        return found;
    }

    /** The labels of every container, in any state, that carries {@code label}, by container id. */
    public Map<String, Map<String, String>> labelsOfContainersLabelled(String label) {
        Map<String, Map<String, String>> labels = new HashMap<>();
        for (Container c : docker().listContainersCmd().withShowAll(true).withLabelFilter(List.of(label)).exec()) {
            labels.put(c.getId(), c.getLabels() == null ? Map.of() : Map.copyOf(c.getLabels()));
        }
        return labels;
    }

    /** Inspects as a JSON tree: docker-java's typed model lacks fields tether reads (StopTimeout). */
    public Optional<ContainerInfo> inspect(String idOrName) {
        return inspectTree(idOrName).map(EngineClient::toInfo);
    }

    /** The engine's inspect document, whole; empty when the engine does not know the container. */
    public Optional<JsonNode> inspectTree(String idOrName) {
        var request = DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET)
                .path("/containers/" + URLEncoder.encode(idOrName, StandardCharsets.UTF_8) + "/json")
                .build();
        try (var response = transport().http().execute(request)) {
            if (response.getStatusCode() == 404) {
                return Optional.empty();
            }
            JsonNode body = JSON.readTree(response.getBody());
            if (response.getStatusCode() != 200) {
                throw new EngineException("inspect " + idOrName + ": " + response.getStatusCode() + " "
                        + body.path("message").asText());
            }
            return Optional.of(body);
        } catch (IOException e) {
            throw new EngineException("inspect " + idOrName + " at " + endpoint.uri() + ": " + e.getMessage(), e);
        }
    }

    /** The engine's {@code GET /version} answer (Version, ApiVersion, Os, …), as a JSON tree. */
    public JsonNode version() {
        return getTree("/version");
    }

    private JsonNode getTree(String path) {
        var request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path(path).build();
        try (var response = transport().http().execute(request)) {
            JsonNode body = JSON.readTree(response.getBody());
            if (response.getStatusCode() != 200) {
                throw new EngineException("GET " + path + ": " + response.getStatusCode() + " " + body.path("message").asText());
            }
            return body;
        } catch (IOException e) {
            throw new EngineException("GET " + path + " at " + endpoint.uri() + ": " + e.getMessage());
        }
    }

    /** The engine did not answer as expected; the message says what was asked and where. */
    public static final class EngineException extends RuntimeException {
        EngineException(String message) {
            super(message);
        }

        EngineException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Whether {@code failure} means the engine could not be reached at all (down, restarting), not that it said no. */
    public static boolean unreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    /** How a stop ended. */
    public enum Stopped { STOPPED, WAS_NOT_RUNNING, GONE }

    /** Sends the stop signal, waits up to {@code grace}, then SIGKILL: the engine's own stop. */
    public Stopped stop(String id, Duration grace) {
        try {
            docker().stopContainerCmd(id).withTimeout((int) Math.max(0, grace.toSeconds())).exec();
            return Stopped.STOPPED;
        } catch (NotModifiedException e) {
            return Stopped.WAS_NOT_RUNNING;
        } catch (NotFoundException e) {
            return Stopped.GONE;
        }
    }

    /** How a removal ended. */
    public enum Removed { REMOVED, ALREADY_GONE, IN_PROGRESS }

    /** Removes the container and its anonymous volumes; named volumes are never removed by the engine here. */
    public Removed remove(String id) {
        try {
            docker().removeContainerCmd(id).withRemoveVolumes(true).withForce(true).exec();
            return Removed.REMOVED;
        } catch (NotFoundException e) {
            return Removed.ALREADY_GONE;
        } catch (ConflictException e) {
            return Removed.IN_PROGRESS; // AutoRemove got there first
        }
    }

    /**
     * Follows container events from {@code since}, reconnecting after an engine restart from the last event seen,
     * so none is lost. Runs until the returned handle is closed.
     */
    public Closeable followContainerEvents(Instant since, Consumer<EngineEvent> sink) {
        EventFollower follower = new EventFollower(since, sink);
        Thread.ofPlatform().daemon().name("tether-engine-events").start(follower);
        return follower;
    }

    private final class EventFollower implements Runnable, Closeable {
        private final Consumer<EngineEvent> sink;
        private volatile boolean closed;
        private volatile ResultCallback.Adapter<Event> current;
        private volatile long lastNanos;
        private volatile boolean delivered;
        /** Events at exactly {@code lastNanos}: the engine's since includes that instant, so they come again. */
        private final Set<String> seenAtLast = ConcurrentHashMap.newKeySet();
        private volatile boolean failing;

        EventFollower(Instant since, Consumer<EngineEvent> sink) {
            this.sink = sink;
            this.lastNanos = since.getEpochSecond() * 1_000_000_000L + since.getNano();
        }

        @Override
        public void run() {
            Duration backoff = Duration.ofMillis(100);
            while (!closed) {
                var callback = new ResultCallback.Adapter<Event>() {
                    @Override
                    public void onNext(Event event) {
                        delivered = true;
                        if (failing) {
                            failing = false;
                            log.info("engine event stream at {} is back", endpoint.uri());
                        }
                        long at = event.getTimeNano() == null ? 0 : event.getTimeNano();
                        String key = event.getId() + " " + event.getAction();
                        if (at == lastNanos && !seenAtLast.add(key)) {
                            return; // replayed after a reconnect
                        }
                        if (at > lastNanos) {
                            lastNanos = at;
                            seenAtLast.clear();
                            seenAtLast.add(key);
                        }
                        if (event.getId() != null) {
                            Map<String, String> attributes = event.getActor() == null || event.getActor().getAttributes() == null
                                    ? Map.of() : event.getActor().getAttributes();
                            sink.accept(new EngineEvent(event.getAction(), event.getId(), attributes,
                                    event.getTimeNano() == null ? 0 : event.getTimeNano()));
                        }
                    }
                };
                current = callback;
                try {
                    // The engine's since takes seconds.nanoseconds; events at exactly that time are replayed and
                    // must be idempotent for the sink.
                    String since = (lastNanos / 1_000_000_000L) + "." + String.format("%09d", lastNanos % 1_000_000_000L);
                    docker().eventsCmd().withSince(since).withEventTypeFilter(EventType.CONTAINER).exec(callback);
                    callback.awaitCompletion();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException e) {
                    if (!closed && !failing) {
                        log.warn("engine event stream at {} broke ({}); reconnecting until it answers",
                                endpoint.uri(), e.toString());
                    }
                    failing = true;
                }
                if (closed) {
                    return;
                }
                try {
                    Thread.sleep(backoff); // an engine that is down: retry without spinning
                } catch (InterruptedException e) {
                    return;
                }
                backoff = delivered ? Duration.ofMillis(100)
                        : backoff.compareTo(Duration.ofSeconds(2)) < 0 ? backoff.multipliedBy(2) : backoff;
                delivered = false;
            }
        }

        @Override
        public void close() throws IOException {
            closed = true;
            var c = current;
            if (c != null) {
                c.close();
            }
        }
    }

    private static ContainerInfo toInfo(JsonNode c) {
        Map<String, String> labels = new HashMap<>();
        c.at("/Config/Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        JsonNode stopTimeout = c.at("/Config/StopTimeout");
        String created = c.path("Created").asText("");
        return new ContainerInfo(
                c.path("Id").asText(),
                c.path("Name").asText("").replaceFirst("^/", ""),
                c.at("/Config/Image").asText(""),
                labels,
                c.at("/State/Status").asText("unknown"),
                c.at("/HostConfig/AutoRemove").asBoolean(false),
                stopTimeout.isIntegralNumber() ? Optional.of(stopTimeout.asInt()) : Optional.empty(),
                created.isEmpty() ? 0 : Instant.parse(created).getEpochSecond());
    }

    @Override
    public void close() throws IOException {
        docker().close();
    }
}
