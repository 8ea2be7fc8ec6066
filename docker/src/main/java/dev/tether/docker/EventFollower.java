package dev.tether.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the engine's container events from a {@code since} cursor and reconnects whenever the stream ends or
 * breaks (an engine restart, a dropped connection), from the last event seen: none is lost, and the events the engine
 * sends again at that very instant are not handed on twice. Runs until closed.
 */
final class EventFollower implements Runnable, Closeable {

    private static final Logger log = LoggerFactory.getLogger(EventFollower.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration LAST_RETRY = Duration.ofSeconds(2);

    private final Endpoint endpoint;
    private final Supplier<DockerClient> docker;
    private final Consumer<EngineEvent> sink;
    private volatile boolean closed;
    private volatile ResultCallback.Adapter<Event> current;
    /** The cursor: the engine time of the last event seen, in nanoseconds. */
    private volatile long lastNanos;
    private volatile boolean delivered;
    /** Events at exactly {@code lastNanos}: the engine's since includes that instant, so they come again. */
    private final Set<String> seenAtLast = ConcurrentHashMap.newKeySet();
    private volatile boolean failing;

    EventFollower(Endpoint endpoint, Supplier<DockerClient> docker, Instant since, Consumer<EngineEvent> sink) {
        this.endpoint = endpoint;
        this.docker = docker;
        this.sink = sink;
        this.lastNanos = since.getEpochSecond() * 1_000_000_000L + since.getNano();
    }

    @Override
    public void run() {
        Duration backoff = FIRST_RETRY;
        while (!closed) {
            var callback = new ResultCallback.Adapter<Event>() {
                @Override
                public void onNext(Event event) {
                    accept(event);
                }
            };
            current = callback;
            try {
                // The engine's since takes seconds.nanoseconds; events at exactly that time are replayed and
                // filtered out by accept().
                String since = (lastNanos / 1_000_000_000L) + "." + String.format("%09d", lastNanos % 1_000_000_000L);
                docker.get().eventsCmd().withSince(since).withEventTypeFilter(EventType.CONTAINER).exec(callback);
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
            backoff = delivered ? FIRST_RETRY
                    : backoff.compareTo(LAST_RETRY) < 0 ? backoff.multipliedBy(2) : backoff;
            delivered = false;
        }
    }

    private void accept(Event event) {
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
            sink.accept(new EngineEvent(dockersName(event.getAction()), event.getId(), attributes, at));
        }
    }

    /**
     * An event as Docker names it: Podman's Docker API says {@code remove} for Docker's {@code destroy} (4.x), and
     * older Podman {@code died} for {@code die}. The reaper and the journal speak Docker's names only.
     */
    static String dockersName(String action) {
        return switch (action == null ? "" : action) {
            case "remove" -> "destroy";
            case "died" -> "die";
            default -> action;
        };
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
