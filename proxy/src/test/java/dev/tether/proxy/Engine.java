package dev.tether.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.docker.Endpoint;
import dev.tether.docker.TestEngine;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The real engine, spoken to directly (never through tether): fixtures, inspection of what a test created, and
 * cleanup. Everything a test creates carries {@code dev.tether.test=<runId>}, or a name starting with
 * {@code tether-it-<runId>-} when the case forbids labels, and cleanup removes only those.
 */
public final class Engine {

    public static final String TEST_IMAGE = "tether-test/busybox:1";
    public static final String TEST_LABEL = "dev.tether.test";
    /** One per test JVM. */
    public static final String RUN_ID = newRunId();

    private static final AtomicInteger NAMES = new AtomicInteger();
    private static boolean imageChecked;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Engine::cleanupQuietly, "tether-it-cleanup"));
    }

    private Engine() {}

    private static String newRunId() {
        byte[] b = new byte[4];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** DOCKER_HOST when it names a unix socket, else /var/run/docker.sock. */
    public static Endpoint endpoint() {
        String host = System.getenv("DOCKER_HOST");
        if (host != null && !host.isBlank()) {
            try {
                if (Endpoint.parse(host) instanceof Endpoint.Unix unix) {
                    return unix;
                }
            } catch (IllegalArgumentException ignored) {
                // fall through to the default socket
            }
        }
        return new Endpoint.Unix(Path.of("/var/run/docker.sock"));
    }

    public static Path socket() {
        return ((Endpoint.Unix) endpoint()).socket();
    }

    /** {@code dev.tether.test=<runId>}, for {@code --label}. */
    public static String labelArg() {
        return TEST_LABEL + "=" + RUN_ID;
    }

    /** A fresh container name owned by this run. */
    public static String name(String purpose) {
        return "tether-it-" + RUN_ID + "-" + purpose + "-" + NAMES.incrementAndGet();
    }

    /** A fresh image reference owned by this run. */
    public static String imageTag(String purpose) {
        return "tether-test/it-" + purpose + ":" + RUN_ID + "-" + NAMES.incrementAndGet();
    }

    // ---------------------------------------------------------------- raw calls

    public static RawHttp.Response call(RawHttp.Request request) {
        try (RawHttp http = RawHttp.connect(socket())) {
            return http.exchange(request);
        }
    }

    public static RawHttp.Response call(String method, String target) {
        return call(RawHttp.request(method, target));
    }

    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- image

    public static synchronized void ensureImage() {
        if (imageChecked) {
            return;
        }
        if (call("GET", "/images/" + TEST_IMAGE + "/json").status() != 200) {
            Path script = root().resolve("scripts/test-image");
            if (!Files.isExecutable(script)) {
                throw new IllegalStateException(TEST_IMAGE + " is missing and " + script + " cannot build it");
            }
            try {
                var pb = new ProcessBuilder(script.toString()).inheritIO();
                pb.environment().put("DOCKER_HOST", endpoint().uri());
                Process p = pb.start();
                if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IllegalStateException(script + " failed to build " + TEST_IMAGE);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot run " + script, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (call("GET", "/images/" + TEST_IMAGE + "/json").status() != 200) {
                throw new IllegalStateException(script + " ran but " + TEST_IMAGE + " is still missing");
            }
        }
        imageChecked = true;
    }

    /** The project root: system property tether.root (set by the pom), else the nearest folder with scripts/. */
    public static Path root() {
        String prop = System.getProperty("tether.root");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("scripts")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the project root: set -Dtether.root");
    }

    // ---------------------------------------------------------------- containers

    /** A create body for the test image with this run's label and no network (the engine may have no bridge). */
    public static ObjectNode containerSpec(String... cmd) {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("Image", TEST_IMAGE);
        ArrayNode c = body.putArray("Cmd");
        for (String s : cmd) {
            c.add(s);
        }
        body.putObject("Labels").put(TEST_LABEL, RUN_ID);
        body.putObject("HostConfig").put("NetworkMode", "none");
        return body;
    }

    /** Creates a container directly on the engine; returns its id. */
    public static String create(String name, ObjectNode spec) {
        RawHttp.Response r = call(RawHttp.request("POST", "/containers/create?name=" + encode(name)).json(spec.toString()));
        if (r.status() != 201) {
            throw new IllegalStateException("engine refused a fixture create: " + r);
        }
        return r.json().get("Id").asText();
    }

    public static void start(String id) {
        RawHttp.Response r = call("POST", "/containers/" + id + "/start");
        if (r.status() != 204 && r.status() != 304) {
            throw new IllegalStateException("engine could not start " + id + ": " + r);
        }
    }

    /** Creates and starts a container running {@code cmd}; returns its id. */
    public static String runDetached(String name, String... cmd) {
        String id = create(name, containerSpec(cmd));
        start(id);
        return id;
    }

    /** Runs {@code cmd} in a running container, detached, directly on the engine (to poke a fixture). */
    public static void execDetached(String id, String... cmd) {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        ArrayNode c = body.putArray("Cmd");
        for (String s : cmd) {
            c.add(s);
        }
        RawHttp.Response created = call(RawHttp.request("POST", "/containers/" + encode(id) + "/exec").json(body.toString()));
        if (created.status() != 201) {
            throw new IllegalStateException("engine refused an exec in " + id + ": " + created);
        }
        String execId = created.json().get("Id").asText();
        RawHttp.Response started = call(RawHttp.request("POST", "/exec/" + execId + "/start").json("{\"Detach\":true}"));
        if (started.status() != 200) {
            throw new IllegalStateException("engine could not start exec " + execId + ": " + started);
        }
    }

    /** Inspects a container by id, prefix or name; empty when the engine does not know it. */
    public static Optional<JsonNode> find(String idOrName) {
        RawHttp.Response r = call("GET", "/containers/" + encode(idOrName) + "/json");
        if (r.status() == 404) {
            return Optional.empty();
        }
        if (r.status() != 200) {
            throw new IllegalStateException("inspect " + idOrName + ": " + r);
        }
        return Optional.of(r.json());
    }

    public static JsonNode inspect(String idOrName) {
        return find(idOrName).orElseThrow(() -> new AssertionError("the engine has no container " + idOrName));
    }

    /** Polls the container until {@code condition} holds for its inspect document. */
    public static JsonNode awaitContainer(String idOrName, Predicate<JsonNode> condition, String what, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = find(idOrName).orElse(null);
            if (last != null && condition.test(last)) {
                return last;
            }
            pause();
        }
        throw new AssertionError("container " + idOrName + " never became " + what + " within " + timeout
                + "; last state: " + (last == null ? "gone" : last.path("State")));
    }

    /** Polls until the engine no longer knows the container. */
    public static void awaitGone(String idOrName, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (find(idOrName).isEmpty()) {
                return;
            }
            pause();
        }
        throw new AssertionError("container " + idOrName + " still exists after " + timeout + ": "
                + find(idOrName).map(j -> j.path("State").toString()).orElse("gone"));
    }

    public static boolean running(JsonNode inspect) {
        return inspect.path("State").path("Running").asBoolean(false);
    }

    public static void remove(String idOrName) {
        call("DELETE", "/containers/" + encode(idOrName) + "?force=1&v=1");
    }

    public static void removeImage(String ref) {
        call("DELETE", "/images/" + ref + "?force=1");
    }

    /** Force-removes this run's containers: those labelled with the run id or named after it. Nothing else. */
    public static synchronized void cleanup() {
        Set<String> ids = new LinkedHashSet<>();
        String byLabel = "{\"label\":[\"" + labelArg() + "\"]}";
        String byName = "{\"name\":[\"^/tether-it-" + RUN_ID + "-\"]}";
        for (String filter : new String[] {byLabel, byName}) {
            RawHttp.Response r = call("GET", "/containers/json?all=1&filters=" + encode(filter));
            if (r.status() != 200) {
                throw new IllegalStateException("cannot list this run's containers: " + r);
            }
            for (JsonNode c : r.json()) {
                boolean ours = RUN_ID.equals(c.path("Labels").path(TEST_LABEL).asText(null));
                for (JsonNode n : c.path("Names")) {
                    ours |= n.asText().startsWith("/tether-it-" + RUN_ID + "-");
                }
                if (ours) {
                    ids.add(c.get("Id").asText());
                }
            }
        }
        ids.forEach(Engine::remove);
    }

    private static void cleanupQuietly() {
        try {
            cleanup();
        } catch (RuntimeException ignored) {
            // best effort at JVM exit
        }
    }

    /** The poll interval: waiting for a condition, never standing in for one. */
    public static void pause() {
        pause(50);
    }

    /** A longer poll interval, for conditions that change slowly. */
    public static void pause(long millis) {
        TestEngine.pause(millis);
    }
}
