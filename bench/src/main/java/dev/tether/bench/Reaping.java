package dev.tether.bench;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reaper timed from outside: docker CLIs run session containers through tether ({@code docker run -i}, as an
 * MCP host runs a stdio server) and are SIGKILLed; the engine's own events say when tether's stop reached it (the
 * first {@code kill}) and when the container was gone ({@code destroy}), both counted from the CLI's death.
 */
final class Reaping {

    /** The docker CLI that plays the MCP host's launcher: {@code -Dbench.docker}, else the one on PATH. */
    private static final String DOCKER = System.getProperty("bench.docker", "docker");
    private static final String LABEL = "dev.tether.bench.reap";
    private static final long DEADLINE_NANOS = 30_000_000_000L;
    // dockerd writes a listed container's fields in Go's struct order: Id, then Names.
    private static final Pattern CONTAINER = Pattern.compile("\"Id\":\"([0-9a-f]{64})\",\"Names\":\\[\"/[^\"]*-(\\d+)\"");
    private static final Pattern TIED = Pattern.compile("\"dev\\.tether\\.tie\":\"session\"");

    private Reaping() {}

    /** One session, in ms from its CLI's SIGKILL: to the engine's first kill (tether's stop), and to destroy. */
    record Reap(double noticeMs, double goneMs) {}

    /**
     * Starts {@code sessions} CLIs at once, waits until all their containers run, then SIGKILLs the CLIs one right
     * after another. Fails if a container is not gone 30 s after its CLI died.
     */
    static List<Reap> killed(Path tether, Path reference, int sessions) throws Exception {
        String unique = ProcessHandle.current().pid() + "-" + System.nanoTime();
        String label = LABEL + "=" + unique;
        long since = Instant.now().getEpochSecond();
        List<Process> clis = new ArrayList<>();
        try {
            for (int i = 0; i < sessions; i++) {
                ProcessBuilder cli = new ProcessBuilder(DOCKER, "run", "-i", "--rm", "--network", "none",
                        "--name", "tether-bench-" + unique + "-" + i, "--label", "dev.tether.test=bench", "--label", label,
                        Workloads.IMAGE, "sh", "-c", "trap \"exit 0\" TERM; sleep 3600 & wait")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD);
                cli.environment().put("DOCKER_HOST", "unix://" + tether.toAbsolutePath());
                // Its stdin stays a pipe nobody writes or closes: the session lives until the CLI dies.
                clis.add(cli.start());
            }
            Map<String, Integer> containers = running(reference, label, clis);
            try (Events events = new Events(reference, label, since)) {
                long[] killedAt = new long[sessions];
                for (int i = 0; i < sessions; i++) {
                    killedAt[i] = epochNanos();
                    clis.get(i).destroyForcibly();
                }
                return events.reaps(containers, killedAt);
            }
        } finally {
            for (Process cli : clis) {
                cli.destroyForcibly();
                try {
                    cli.getOutputStream().close();
                } catch (IOException e) {
                    // the pipe of a dead CLI: nothing left to close cleanly
                }
            }
            removeAll(reference, label);
        }
    }

    /** Container id to CLI index, once all the CLIs' containers run and tether tied each to its session. */
    private static Map<String, Integer> running(Path reference, String label, List<Process> clis) throws Exception {
        String path = "/containers/json?filters=" + filters("\"label\":[\"" + label + "\"],\"status\":[\"running\"]");
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        try (UnixHttp http = new UnixHttp(reference)) {
            while (true) {
                var response = http.exchange(UnixHttp.get(path), new StringBuilder());
                if (response.status() != 200) {
                    throw new IllegalStateException("GET " + path + " answered " + response.status());
                }
                Map<String, Integer> containers = new HashMap<>();
                for (Matcher m = CONTAINER.matcher(response.body()); m.find(); ) {
                    containers.put(m.group(1), Integer.parseInt(m.group(2)));
                }
                if (containers.size() == clis.size()) {
                    long tied = TIED.matcher(response.body()).results().count();
                    if (tied != clis.size()) {
                        throw new IllegalStateException(tied + " of " + clis.size() + " containers are tied to their session");
                    }
                    return containers;
                }
                for (int i = 0; i < clis.size(); i++) {
                    if (!clis.get(i).isAlive()) {
                        throw new IllegalStateException("docker CLI " + i + " exited (" + clis.get(i).exitValue()
                                + ") before its container ran");
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(containers.size() + " of " + clis.size() + " containers run after 30 s");
                }
                Thread.sleep(20);
            }
        }
    }

    private static void removeAll(Path reference, String label) throws IOException {
        try (UnixHttp http = new UnixHttp(reference)) {
            var response = http.exchange(UnixHttp.get("/containers/json?all=1&filters="
                    + filters("\"label\":[\"" + label + "\"]")), new StringBuilder());
            for (Matcher m = CONTAINER.matcher(response.body()); m.find(); ) {
                Workloads.remove(http, m.group(1), true);
            }
        }
    }

    private static String filters(String fields) {
        return URLEncoder.encode("{" + fields + "}", StandardCharsets.UTF_8);
    }

    /** Wall-clock nanos, the clock of the engine's {@code timeNano}. */
    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** The engine's container events for one label, followed on a thread of its own, kept by container id. */
    private static final class Events implements AutoCloseable {

        // Go writes an event's fields in struct order: status, id, ..., Action, Actor (whose attributes hold the
        // labels, all strings), ..., timeNano (a number). So the first status and id are the event's own.
        private static final Pattern STATUS = Pattern.compile("\"status\":\"([^\"]*)\"");
        private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{64})\"");
        private static final Pattern SIGNAL = Pattern.compile("\"signal\":\"(\\d+)\"");
        private static final Pattern TIME = Pattern.compile("\"timeNano\":(\\d+)");

        record Kill(long nanos, String signal) {}

        private final Map<String, Kill> kills = new ConcurrentHashMap<>();
        private final Map<String, Long> destroys = new ConcurrentHashMap<>();
        private final UnixHttp http;
        private final Thread thread;
        private volatile boolean closed;
        private volatile Exception failure;

        /**
         * Returns once the engine answered, so events from then on are seen; {@code since} (before any of them)
         * has the engine replay what it logged in between from its buffer.
         */
        Events(Path reference, String label, long since) throws IOException {
            http = new UnixHttp(reference);
            String path = "/events?since=" + since + "&filters="
                    + filters("\"type\":[\"container\"],\"label\":[\"" + label + "\"]");
            int status = http.open(UnixHttp.get(path));
            if (status != 200) {
                http.close();
                throw new IllegalStateException("GET " + path + " answered " + status);
            }
            thread = Thread.ofPlatform().daemon().name("events").start(this::follow);
        }

        private void follow() {
            StringBuilder pending = new StringBuilder();
            try {
                for (String chunk; (chunk = http.nextChunk()) != null; ) {
                    pending.append(chunk);
                    // dockerd's JSON encoder ends every event with a newline; a chunk may hold more or less than one
                    for (int nl; (nl = pending.indexOf("\n")) >= 0; pending.delete(0, nl + 1)) {
                        event(pending.substring(0, nl));
                    }
                }
                throw new IOException("the engine ended the event stream");
            } catch (IOException e) {
                if (!closed) {
                    failure = e;
                }
            }
        }

        private void event(String json) {
            Matcher status = STATUS.matcher(json);
            Matcher id = ID.matcher(json);
            Matcher time = TIME.matcher(json);
            if (!status.find() || !id.find() || !time.find()) {
                return;
            }
            long nanos = Long.parseLong(time.group(1));
            switch (status.group(1)) {
                case "kill" -> {
                    Matcher signal = SIGNAL.matcher(json);
                    kills.putIfAbsent(id.group(1), new Kill(nanos, signal.find() ? signal.group(1) : "?"));
                }
                case "destroy" -> destroys.putIfAbsent(id.group(1), nanos);
                default -> {
                }
            }
        }

        /** Once every container is destroyed, each one's notice and gone times from its own CLI's SIGKILL. */
        List<Reap> reaps(Map<String, Integer> containers, long[] killedAt) throws Exception {
            long deadline = System.nanoTime() + DEADLINE_NANOS;
            while (!destroys.keySet().containsAll(containers.keySet())) {
                if (failure != null) {
                    throw new IllegalStateException("following events: " + failure.getMessage(), failure);
                }
                if (System.nanoTime() > deadline) {
                    List<String> left = containers.keySet().stream().filter(id -> !destroys.containsKey(id)).toList();
                    throw new IllegalStateException(left.size() + " containers not gone 30 s after their CLI was"
                            + " SIGKILLed, e.g. " + left.getFirst());
                }
                Thread.sleep(5);
            }
            List<Reap> reaps = new ArrayList<>();
            for (var container : containers.entrySet()) {
                long killed = killedAt[container.getValue()];
                Kill kill = kills.get(container.getKey());
                if (kill == null || !kill.signal().equals("15") || kill.nanos() < killed) {
                    throw new IllegalStateException("container " + container.getKey() + " was not stopped by tether"
                            + " after its CLI died: first kill " + kill);
                }
                reaps.add(new Reap((kill.nanos() - killed) / 1e6, (destroys.get(container.getKey()) - killed) / 1e6));
            }
            return reaps;
        }

        @Override
        public void close() throws Exception {
            closed = true;
            http.close();
            thread.join();
        }
    }
}
