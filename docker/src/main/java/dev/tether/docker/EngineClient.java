package dev.tether.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.Closeable;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * The engine as tether's reaper and sweeps see it: list, inspect, stop, remove and follow events. 404, 304 and 409
 * answers are the normal result of races with clients and AutoRemove, and are reported as such, not thrown.
 */
public final class EngineClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Endpoint endpoint;
    /**
     * docker-java and its HTTP stack take a few hundred milliseconds to load; they are built in the background so that
     * tether's socket answers first. Nothing reaches the engine through them before the reaper starts.
     */
    private final CompletableFuture<Transport> transport;

    /** @param bridge an ssh engine's local socket, which this client opened and closes */
    private record Transport(DockerHttpClient http, DockerClient docker, Optional<SshBridge> bridge) {}

    private EngineClient(Endpoint endpoint) {
        this.endpoint = endpoint;
        this.transport = CompletableFuture.supplyAsync(() -> {
            Optional<SshBridge> bridge = endpoint instanceof Endpoint.Ssh ssh ? Optional.of(bridgeTo(ssh)) : Optional.empty();
            Endpoint reachedAt = bridge.<Endpoint>map(SshBridge::endpoint).orElse(endpoint);
            DockerHttpClient http = DockerClients.httpClient(reachedAt);
            return new Transport(http, DockerClients.connect(reachedAt, http), bridge);
        }, runnable -> Thread.ofPlatform().daemon().name("tether-engine-client").start(runnable));
    }

    /** A bridge of this client's own, in a folder only this user can enter. */
    private static SshBridge bridgeTo(Endpoint.Ssh ssh) {
        try {
            Path dir = Files.createTempDirectory("tether-ssh-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            dir.toFile().deleteOnExit();
            return SshBridge.open(ssh, dir.resolve("engine.sock"));
        } catch (IOException e) {
            throw new EngineException("cannot open a local socket for " + ssh.uri() + ": " + e.getMessage(), e);
        }
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
        List<JsonNode> found = new ArrayList<>();
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

    /** The container's facts ({@link ContainerInfo#from}); empty when the engine does not know it. */
    public Optional<ContainerInfo> inspect(String idOrName) {
        return inspectTree(idOrName).map(ContainerInfo::from);
    }

    /** The engine's inspect document, whole; empty when the engine does not know the container. */
    public Optional<JsonNode> inspectTree(String idOrName) {
        return getTree("/containers/" + URLEncoder.encode(idOrName, StandardCharsets.UTF_8) + "/json",
                "inspect " + idOrName, true);
    }

    /**
     * What the container costs now ({@code GET /containers/{id}/stats?stream=false}, which takes the engine about a
     * second: it samples twice to tell CPU use); empty when the engine does not know it or it is not running.
     */
    public Optional<ContainerUsage> usage(String idOrName) {
        return getTree("/containers/" + URLEncoder.encode(idOrName, StandardCharsets.UTF_8) + "/stats?stream=false",
                "stats " + idOrName, true).flatMap(ContainerUsage::from);
    }

    /** The engine's {@code GET /version} answer (Version, ApiVersion, Os, …), as a JSON tree. */
    public JsonNode version() {
        return getTree("/version", "GET /version", false).orElseThrow();
    }

    /** {@code GET path} as a JSON tree; empty for a 404 when {@code notFoundIsEmpty}. */
    private Optional<JsonNode> getTree(String path, String what, boolean notFoundIsEmpty) {
        var request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path(path).build();
        try (var response = transport().http().execute(request)) {
            if (notFoundIsEmpty && response.getStatusCode() == 404) {
                return Optional.empty();
            }
            JsonNode body = JSON.readTree(response.getBody());
            if (notFoundIsEmpty && response.getStatusCode() == 500 && vanished(body.path("message").asText())) {
                return Optional.empty();
            }
            if (response.getStatusCode() != 200) {
                throw new EngineException(what + " at " + endpoint.uri() + ": " + response.getStatusCode() + " "
                        + body.path("message").asText());
            }
            return Optional.of(body);
        } catch (IOException e) {
            throw new EngineException(what + " at " + endpoint.uri() + ": " + e.getMessage(), e);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            if (!unreachable(e)) {
                throw e;
            }
            // The transport wraps a failed connection in a bare RuntimeException: say what and where, keep the cause.
            throw new EngineException(what + " at " + endpoint.uri() + ": " + e.getMessage(), e);
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
        } catch (InternalServerErrorException e) {
            if (vanished(e.getMessage())) {
                return Stopped.GONE;
            }
            throw e;
        }
    }

    /**
     * Podman's Docker API answers 500 "no such container" (not 404) for a container it is removing at that moment:
     * the same race with AutoRemove or a client's own removal that Docker reports as 404.
     */
    static boolean vanished(String message) {
        return message != null && message.contains("no such container");
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
        } catch (InternalServerErrorException e) {
            if (vanished(e.getMessage())) {
                return Removed.ALREADY_GONE;
            }
            throw e;
        }
    }

    /**
     * Follows container events from {@code since}, reconnecting after an engine restart from the last event seen,
     * so none is lost. Runs until the returned handle is closed.
     */
    public Closeable followContainerEvents(Instant since, Consumer<EngineEvent> sink) {
        EventFollower follower = new EventFollower(endpoint, this::docker, since, sink);
        Thread.ofPlatform().daemon().name("tether-engine-events").start(follower);
        return follower;
    }

    @Override
    public void close() throws IOException {
        Transport t = transport();
        try {
            t.docker().close();
        } finally {
            t.bridge().ifPresent(b -> {
                b.close();
                b.endpoint().socket().getParent().toFile().delete();
            });
        }
    }
}
