package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.RawHttp;

/**
 * A bounded soak: a real {@code tether up} process on a private engine of its own ({@link AuditItDockerd}), under
 * mixed load from many clients at once, with the engine restarted once in the middle. Then: no container is left,
 * no connection stays open, every request got an answer or a clean error (a hang is a failure: each request has a
 * deadline), tether still runs, and every journal line is JSON. The figures go out in one summary line.
 *
 * <p>Load: {@value #API_CLIENTS_DEFAULT} API clients on keep-alive connections ({@code _ping}, {@code containers/json},
 * inspect, logs, logs followed) and {@value #CHURNERS} churning containers (create, start, wait, remove);
 * {@value #SESSIONS_AT_ONCE} {@code docker run -i --rm} sessions at a time, SIGKILLed at random (their containers must
 * be reaped); {@value #OWNERS_AT_ONCE} owner-tied containers at a time, created by {@code socat} processes (tie
 * {@code owner}) SIGKILLed at random. What still lives at the end is ended and must be reaped too.
 *
 * <p>Its length: {@code -Dsoak.seconds=N} (75 by default, about 2 minutes with set-up and checks; {@code bench/soak
 * MINUTES} runs it longer); {@code -Dsoak.clients=N} sets the API clients; {@code -Dsoak.seed=N} repeats a run's
 * random choices.
 */
class SoakIT {

    private static final int API_CLIENTS_DEFAULT = 8;
    private static final Duration LOAD = Duration.ofSeconds(Long.getLong("soak.seconds", 75));
    private static final int API_CLIENTS = Integer.getInteger("soak.clients", API_CLIENTS_DEFAULT);
    private static final int CHURNERS = 2;
    private static final int SESSIONS_AT_ONCE = 4;
    private static final int OWNERS_AT_ONCE = 4;
    private static final long SEED = Long.getLong("soak.seed", System.nanoTime());
    /** Each request's deadline: an answer later than this is a hang. Generous: the machine's cores are shared. */
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(30);
    /** Errors after the engine answers again still count as the restart's for this long (tether's reconnection). */
    private static final Duration RESTART_SETTLES = Duration.ofSeconds(10);
    /** From a process's SIGKILL to its container gone; the engine's restart may fall in between. */
    private static final Duration REAP_DEADLINE = Duration.ofSeconds(90);
    private static final String SOCAT = "/usr/bin/socat";
    /**
     * What tether may hold after the soak that it did not before, none of it per request or per container: the
     * journal and its lock file (opened at the first record), the JDK's pollers for virtual threads' sockets (made on
     * first use), and the engine client's idle pooled connections (it keeps up to as many as were in use at once: a
     * stop holds one through the grace, and up to eight reaps run at once here; 14 were seen). A leak per request
     * (there are thousands) or per container (there are more than a hundred) goes far past it.
     */
    private static final int DESCRIPTORS_GAINED_AT_MOST = 48;
    /** A GC log line's heap before, after and its size: {@code Pause Young (Allocation Failure) 12M->4M(30M)}. */
    private static final Pattern GC_AFTER = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    private final SplittableRandom seeds = new SplittableRandom(SEED);
    private final Tally requests = new Tally();
    private final Tally byOp = new Tally();
    private final Tally sessions = new Tally();
    private final Tally owners = new Tally();
    private final List<Long> sessionReapMillis = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> ownerReapMillis = Collections.synchronizedList(new ArrayList<>());
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> churnLeftovers = ConcurrentHashMap.newKeySet();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicLong restartBegan = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong restartEnded = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong maxRssKib = new AtomicLong();

    private AuditItDockerd engine;
    private ReapKit.Tether tether;
    private Path socket;
    private String fixture;

    @Test
    void mixedLoadWithKillsAndAnEngineRestartLeavesNothingBehind() {
        assertTimeoutPreemptively(LOAD.plusMinutes(8), this::soak, "the soak and its checks");
    }

    private void soak() throws Exception {
        Cli.requireInstalled(Cli.NEW);
        assertThat(Path.of(SOCAT)).as("socat, the owner processes of the soak (apt-get install socat)").isExecutable();
        Engine.ensureImage();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "soak");
        long setupBegan = System.nanoTime();
        try (AuditItDockerd privateEngine = AuditItDockerd.start(Duration.ofSeconds(60))) {
            engine = privateEngine;
            engine.loadImage(Engine.TEST_IMAGE, Engine.endpoint().uri(), Duration.ofSeconds(120));
            socket = dir.resolve("d.sock");
            Path journal = dir.resolve("audit.jsonl");
            Path gcLog = dir.resolve("gc.log");
            tether = startTether(journal, gcLog);
            try {
                run(journal, gcLog, setupBegan);
            } finally {
                tether.close();
                String log = tether.log();
                System.out.println("[soak] tether's log, last lines:\n" + log.lines()
                        .skip(Math.max(0, log.lines().count() - 40)).collect(Collectors.joining("\n")));
            }
        } finally {
            ReapKit.deleteTree(dir);
        }
    }

    /**
     * {@code tether up} on the packaged jar with the launcher's JVM options (Serial GC, 256 MiB heap, Netty's pool in
     * 1 MiB chunks; not its AOT cache, which only speeds start-up), and a GC log to learn the heap after each GC.
     */
    private ReapKit.Tether startTether(Path journal, Path gcLog) throws IOException {
        String jar = System.getProperty("tether.jar");
        assertThat(jar).as("system property tether.jar (set by the pom)").isNotNull();
        assertThat(Path.of(jar)).as("the packaged tether").isRegularFile();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-XX:+UseSerialGC", "-Xms8m", "-Xmx256m", "-Xss512k", "-XX:TrimNativeHeapInterval=5000",
                "-Dio.netty.allocator.maxOrder=7",
                "-Xlog:gc:file=" + gcLog,
                "-jar", jar, "up", "--socket", socket.toString(), "--upstream", engine.uri(),
                "--audit-log", journal.toString(), "--grace", "1s", "--sweep-interval", "5s");
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        pb.environment().put("MALLOC_ARENA_MAX", "2");
        return ReapKit.Tether.start(pb, socket);
    }

    private void run(Path journal, Path gcLog, long setupBegan) throws Exception {
        fixture = createFixture();
        for (int i = 0; i < 20; i++) {
            assertThat(directCall(socket, RawHttp.request("GET", "/_ping")).map(RawHttp.Response::status))
                    .as("tether answers before the load").contains(200);
        }
        long fdsBefore = descriptors(tether.pid());
        Map<String, Long> kindsBefore = descriptorKinds(tether.pid());
        System.out.printf("[soak] seed %d, %d s of load, %d API clients and %d churners; set-up took %d ms; tether pid"
                + " %d%n", SEED, LOAD.toSeconds(), API_CLIENTS, CHURNERS, ms(System.nanoTime() - setupBegan), tether.pid());

        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < API_CLIENTS + CHURNERS; i++) {
            SplittableRandom random = seeds.split();
            boolean churner = i >= API_CLIENTS;
            threads.add(Thread.ofPlatform().name("soak-client-" + i).start(() -> apiClient(random, churner)));
        }
        SplittableRandom sessionRandom = seeds.split();
        SplittableRandom ownerRandom = seeds.split();
        List<Thread> lives = Collections.synchronizedList(new ArrayList<>());
        threads.add(Thread.ofPlatform().name("soak-sessions").start(() -> spawn(SESSIONS_AT_ONCE, sessionRandom, lives,
                this::session)));
        threads.add(Thread.ofPlatform().name("soak-owners").start(() -> spawn(OWNERS_AT_ONCE, ownerRandom, lives,
                this::owner)));
        Thread watch = Thread.ofPlatform().name("soak-watch").start(this::watchTether);

        long loadBegan = System.nanoTime();
        awaitStopping(LOAD.dividedBy(2));
        restartEngine();
        awaitStopping(LOAD.minus(Duration.ofNanos(System.nanoTime() - loadBegan)));
        stopping.countDown();
        long loadEnded = System.nanoTime();

        // The clients finish their request under way; what still lives is ended now, and must be reaped.
        for (Thread t : threads) {
            assertThat(t.join(REQUEST_DEADLINE.multipliedBy(4))).as("%s ended", t.getName()).isTrue();
        }
        for (Thread t : List.copyOf(lives)) {
            assertThat(t.join(REAP_DEADLINE.plusSeconds(30))).as("%s ended", t.getName()).isTrue();
        }
        // A churn client whose create or remove met the restart removes its container itself, as a client would.
        for (String name : churnLeftovers) {
            int status = directCall(socket, RawHttp.request("DELETE", "/containers/" + name + "?force=1&v=1"))
                    .map(RawHttp.Response::status).orElse(-1);
            assertThat(status).as("removing churn leftover %s through tether", name).isIn(204, 404);
        }
        removeOnEngine(fixture);
        List<JsonNode> left = awaitNoContainers(Duration.ofSeconds(60));

        int open = awaitOpenConnections(0, Duration.ofSeconds(30));
        boolean alive = tether.process.isAlive();
        Optional<Integer> lastPing = directCall(socket, RawHttp.request("GET", "/_ping")).map(RawHttp.Response::status);
        watch.interrupt();
        watch.join();
        long fdsAfter = alive ? awaitDescriptorsAtMost(tether.pid(), fdsBefore + DESCRIPTORS_GAINED_AT_MOST,
                Duration.ofSeconds(15)) : -1;
        String fdChange = alive ? descriptorChange(kindsBefore, descriptorKinds(tether.pid())) : "?";
        long peakRss = alive ? peakRssKib(tether.pid()) : maxRssKib.get();
        List<Long> heapAfterGc = heapAfterGc(gcLog);
        int journalLines = -1;
        AssertionError journalError = null;
        try {
            journalLines = journalLines(journal);
        } catch (AssertionError e) {
            journalError = e;
        }
        long errorsOutside = requests.count("outside the restart");

        String summary = String.format("[soak] SUMMARY %d s load, seed %d, %d+%d clients: requests %d = ok %d + clean"
                        + " errors %d %s + failures %d (hang %d, refused %d, malformed %d), errors outside the restart %d;"
                        + " ok by op %s; sessions %d %s, kill→gone p50 %s max %s; owners %d %s, kill→gone p50 %s max %s;"
                        + " engine restart %s; tether %s, max RSS %d MiB, heap after GC max %d MiB last %d MiB (%d GCs),"
                        + " fds %d → %d %s, connections open at end %d; containers left %d; journal %s",
                ms(loadEnded - loadBegan) / 1000, SEED, API_CLIENTS, CHURNERS, requests.count("request"),
                requests.count("ok"), requests.count("clean error"), requests.matching(k -> k.startsWith("error ")),
                requests.count("failure"), requests.count("failure hang"), requests.count("failure refused"),
                requests.count("failure malformed"), errorsOutside, byOp.all(), sessions.count("started"),
                sessions.all(), percentile(sessionReapMillis, 50), percentile(sessionReapMillis, 100),
                owners.count("started"), owners.all(), percentile(ownerReapMillis, 50),
                percentile(ownerReapMillis, 100), describeRestart(), alive ? "alive (pid " + tether.pid() + ")" : "DEAD",
                peakRss / 1024, heapAfterGc.stream().mapToLong(Long::longValue).max().orElse(0),
                heapAfterGc.isEmpty() ? 0 : heapAfterGc.getLast(), heapAfterGc.size(), fdsBefore, fdsAfter, fdChange,
                open, left.size(), journalError == null ? journalLines + " lines, all JSON" : "NOT ALL JSON");
        System.out.println(summary);
        problems.stream().limit(20).forEach(p -> System.out.println("[soak] problem: " + p));

        assertThat(alive).as("tether still runs; its log:\n%s", tether.log()).isTrue();
        if (journalError != null) {
            throw journalError;
        }
        assertThat(lastPing).as("tether answers after the soak").contains(200);
        assertThat(tether.log()).as("tether's log").doesNotContain("OutOfMemoryError");
        assertThat(requests.count("failure")).as("requests that hung, were refused or got garbage (first ones above)")
                .isZero();
        assertThat(errorsOutside).as("requests that failed away from the engine's restart (first ones above)").isZero();
        assertThat(byOp.counts.keySet()).as("every kind of request was answered at least once")
                .containsAll(List.of("ping", "list", "inspect", "logs", "logs-follow", "create", "start", "wait",
                        "remove"));
        assertThat(sessions.count("reaped")).as("sessions killed and reaped").isPositive();
        assertThat(owners.count("reaped")).as("owners killed and reaped").isPositive();
        assertThat(sessions.count("leaked") + owners.count("leaked")).as("containers not reaped in time (above)")
                .isZero();
        assertThat(left).as("containers of the soak left on the engine").isEmpty();
        assertThat(open).as("tether's open connections once every client closed").isZero();
        assertThat(fdsAfter).as("tether's descriptors after the soak (%d before): %s", fdsBefore, fdChange)
                .isLessThanOrEqualTo(fdsBefore + DESCRIPTORS_GAINED_AT_MOST);
    }

    // ---------------------------------------------------------------- API clients

    /**
     * One client's loop until the end: a request of a random kind after another, each with its deadline; or, for a
     * churner, container after container.
     */
    private void apiClient(SplittableRandom random, boolean churner) {
        Connection conn = new Connection();
        try {
            while (stopping.getCount() > 0) {
                int dice = random.nextInt(100);
                if (churner) {
                    churn(conn);
                } else if (dice < 35) {
                    conn.call("ping", RawHttp.request("GET", "/_ping"), s -> s == 200);
                } else if (dice < 55) {
                    conn.call("list", RawHttp.request("GET", "/containers/json?all=1&filters="
                            + Engine.encode("{\"label\":[\"" + Engine.labelArg() + "\"]}")), s -> s == 200)
                            .ifPresent(r -> requireJson(r, "list"));
                } else if (dice < 75) {
                    conn.call("inspect", RawHttp.request("GET", "/containers/" + fixture + "/json"), s -> s == 200)
                            .ifPresent(r -> requireJson(r, "inspect"));
                } else if (dice < 90) {
                    conn.call("logs", RawHttp.request("GET", "/containers/" + fixture + "/logs?stdout=1&tail=5"),
                            s -> s == 200);
                } else {
                    followLogs();
                }
                ReapKit.pause(random.nextInt(20));
            }
        } finally {
            conn.close();
        }
    }

    /** create, start, wait, remove: the container is the client's to remove, so one that met an error is kept. */
    private void churn(Connection conn) {
        String name = Engine.name("soak-churn");
        churnLeftovers.add(name);
        ObjectNode spec = Engine.containerSpec("true");
        Optional<String> id = conn.call("create", RawHttp.request("POST", "/containers/create?name=" + name)
                .json(spec.toString()), s -> s == 201).map(r -> requireJson(r, "create").path("Id").asText());
        if (id.isEmpty()
                || conn.call("start", RawHttp.request("POST", "/containers/" + id.get() + "/start"), s -> s == 204).isEmpty()
                || conn.call("wait", RawHttp.request("POST", "/containers/" + id.get() + "/wait"), s -> s == 200).isEmpty()
                || conn.call("remove", RawHttp.request("DELETE", "/containers/" + id.get() + "?v=1"), s -> s == 204).isEmpty()) {
            return;
        }
        churnLeftovers.remove(name);
    }

    /** {@code logs -f} on a connection of its own: the head, the first chunk, then the client goes. */
    private void followLogs() {
        Connection conn = new Connection();
        try {
            conn.call("logs-follow", RawHttp.request("GET", "/containers/" + fixture + "/logs?follow=1&stdout=1&tail=1"),
                    s -> s == 200, http -> http.readChunk());
        } finally {
            conn.close();
        }
    }

    private JsonNode requireJson(RawHttp.Response r, String op) {
        try {
            return RawHttp.JSON.readTree(r.body());
        } catch (IOException e) {
            requests.add("failure");
            requests.add("failure malformed");
            note(op + ": a 2xx answer that is not JSON: " + r);
            return RawHttp.JSON.createObjectNode();
        }
    }

    /** A client's keep-alive connection to tether, opened when needed and dropped after any error. */
    private final class Connection {
        private RawHttp http;

        Optional<RawHttp.Response> call(String op, RawHttp.Request request, IntPredicate ok) {
            return call(op, request, ok, null);
        }

        /** Sends {@code request}; on an ok status, reads the body (or lets {@code thenRead} read a stream's start). */
        Optional<RawHttp.Response> call(String op, RawHttp.Request request, IntPredicate ok, StreamRead thenRead) {
            requests.add("request");
            if (http == null) {
                try {
                    http = RawHttp.connect(socket).timeout(REQUEST_DEADLINE);
                } catch (UncheckedIOException e) {
                    return failed(op, "refused", "cannot connect to tether: " + e.getCause());
                }
            }
            try {
                RawHttp.Response response;
                if (thenRead == null) {
                    response = http.exchange(request);
                } else {
                    http.write(request.bytes());
                    RawHttp.Head head = http.readHead();
                    if (ok.test(head.status())) {
                        thenRead.read(http);
                        drop();
                        response = new RawHttp.Response(head, new byte[0]);
                    } else {
                        response = new RawHttp.Response(head, http.readBody(head, request.method()));
                    }
                }
                if (ok.test(response.status())) {
                    requests.add("ok");
                    byOp.add(op);
                    return Optional.of(response);
                }
                drop();
                JsonNode message = jsonMessage(response);
                if (message != null) {
                    return cleanError(op, response.status() + " json", response.status() + " " + message);
                }
                return failed(op, "malformed", "an error answer without a JSON message: " + response);
            } catch (UncheckedIOException e) {
                drop();
                return cleanError(op, "closed", "the connection broke: " + e.getCause());
            } catch (AssertionError | RuntimeException e) {
                drop();
                String what = String.valueOf(e.getMessage());
                if (what.startsWith("timed out")) {
                    return failed(op, "hang", "no answer within " + REQUEST_DEADLINE + ": " + what);
                }
                if (what.startsWith("connection closed")) {
                    return cleanError(op, "closed", what);
                }
                return failed(op, "malformed", e.toString());
            }
        }

        private Optional<RawHttp.Response> cleanError(String op, String kind, String detail) {
            requests.add("clean error");
            requests.add("error " + kind);
            long now = System.nanoTime();
            boolean restarting = now >= restartBegan.get()
                    && (restartEnded.get() == Long.MAX_VALUE || now <= restartEnded.get() + RESTART_SETTLES.toNanos());
            if (!restarting) {
                requests.add("outside the restart");
                note(op + " at +" + ms(now - restartBegan.get()) + " ms from the restart: " + detail);
            }
            return Optional.empty();
        }

        private Optional<RawHttp.Response> failed(String op, String kind, String detail) {
            requests.add("failure");
            requests.add("failure " + kind);
            note(op + ": " + kind + ": " + detail);
            return Optional.empty();
        }

        private void drop() {
            if (http != null) {
                http.close();
                http = null;
            }
        }

        void close() {
            drop();
        }
    }

    @FunctionalInterface
    private interface StreamRead {
        void read(RawHttp http);
    }

    private static JsonNode jsonMessage(RawHttp.Response r) {
        try {
            JsonNode json = RawHttp.JSON.readTree(r.body());
            return json != null && json.path("message").isTextual() ? json.path("message") : null;
        } catch (IOException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- sessions and owners

    @FunctionalInterface
    private interface Life {
        void live(SplittableRandom random);
    }

    /** Keeps {@code atOnce} lives going, each on a virtual thread of its own, until the soak stops. */
    private void spawn(int atOnce, SplittableRandom random, List<Thread> lives, Life life) {
        Semaphore slots = new Semaphore(atOnce);
        while (stopping.getCount() > 0) {
            try {
                if (!slots.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    continue;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            SplittableRandom own = random.split();
            lives.add(Thread.ofVirtual().start(() -> {
                try {
                    life.live(own);
                } catch (RuntimeException | AssertionError e) {
                    note("a life failed: " + e);
                    throw e;
                } finally {
                    slots.release();
                }
            }));
        }
    }

    /** {@code docker run -i --rm … cat} through tether, SIGKILLed after 1 to 6 s: its container must be reaped. */
    private void session(SplittableRandom random) {
        String name = Engine.name("soak-session");
        Cli.Running cli = new Cli(Cli.NEW, socket).start("run", "-i", "--rm", "--name", name, "--label",
                Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "cat");
        sessions.add("started");
        try {
            endOfLife(Duration.ofMillis(1000 + random.nextInt(5000)));
        } finally {
            reaped(name, cli, sessions, sessionReapMillis);
        }
    }

    /**
     * An SDK-like owner: {@code socat} sends a create and a start through tether on its connection (tie
     * {@code owner}) and lives on, until a SIGKILL after 2 to 10 s: its container must be reaped.
     */
    private void owner(SplittableRandom random) {
        String name = Engine.name("soak-owner");
        Cli.Running socat;
        try {
            socat = new Cli.Running("socat owner of " + name, new ProcessBuilder(SOCAT, "-", "UNIX-CONNECT:" + socket)
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        owners.add("started");
        try {
            String spec = Engine.containerSpec("sleep", "600").toString();
            socat.write(RawHttp.request("POST", "/containers/create?name=" + name).json(spec).bytes());
            if (awaitOutput(socat, "HTTP/1.1 201 ")) {
                socat.write(RawHttp.request("POST", "/containers/" + name + "/start").bytes());
                awaitOutput(socat, "HTTP/1.1 204 ");
            }
            endOfLife(Duration.ofMillis(2000 + random.nextInt(8000)));
        } catch (UncheckedIOException e) {
            // socat is gone already (its connection broke at the engine's restart): its death is the end of its life
        } finally {
            reaped(name, socat, owners, ownerReapMillis);
        }
    }

    /** Whether the process printed {@code needle} before it ended or a request deadline passed. */
    private static boolean awaitOutput(Cli.Running process, String needle) {
        long deadline = System.nanoTime() + REQUEST_DEADLINE.toNanos();
        while (!process.stdoutSoFar().contains(needle)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                return false;
            }
            Engine.pause();
        }
        return true;
    }

    /** A life lasts {@code lifetime}, or less if the soak stops meanwhile. */
    private void endOfLife(Duration lifetime) {
        try {
            stopping.await(lifetime.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * SIGKILLs {@code process} (unless it ended by itself, as a CLI does when the engine restarts under it), then
     * polls the engine until the container is gone.
     */
    private void reaped(String name, Cli.Running process, Tally tally, List<Long> millis) {
        boolean existed = engineHas(name).orElse(true);
        long killed = System.nanoTime();
        if (process.isAlive()) {
            ReapKit.sigkill(process.process().toHandle());
            tally.add("killed");
        } else {
            tally.add("ended by itself");
        }
        process.close();
        long deadline = killed + REAP_DEADLINE.toNanos();
        while (engineHas(name).orElse(true)) {
            if (System.nanoTime() > deadline) {
                tally.add("leaked");
                note(name + " still exists " + REAP_DEADLINE + " after its process died: "
                        + inspectOnEngine(name).map(j -> j.path("State").toString()).orElse("?"));
                return;
            }
            ReapKit.pause(20);
        }
        if (existed) {
            tally.add("reaped");
            millis.add(ms(System.nanoTime() - killed));
        } else {
            tally.add("no container");
        }
    }

    // ---------------------------------------------------------------- the engine

    private void restartEngine() {
        long began = System.nanoTime();
        restartBegan.set(began);
        engine.stop(Duration.ofSeconds(60));
        long down = System.nanoTime();
        engine.launch();
        engine.awaitAnswers(Duration.ofSeconds(60));
        restartEnded.set(System.nanoTime());
        System.out.printf("[soak] engine restarted: stopped in %d ms, answering again %d ms after the stop began%n",
                ms(down - began), ms(restartEnded.get() - began));
    }

    private String describeRestart() {
        return restartEnded.get() == Long.MAX_VALUE ? "not done"
                : "answering again " + ms(restartEnded.get() - restartBegan.get()) + " ms after the stop began";
    }

    /** A container the API clients inspect and read logs of: made on the engine directly, restarted with it. */
    private String createFixture() {
        ObjectNode spec = Engine.containerSpec("sh", "-c", "while :; do echo tick; sleep 1; done");
        ((ObjectNode) spec.path("HostConfig")).putObject("RestartPolicy").put("Name", "always");
        RawHttp.Response created = directCall(engine.socket(), RawHttp.request("POST", "/containers/create?name="
                + Engine.name("soak-fixture")).json(spec.toString())).orElseThrow();
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().path("Id").asText();
        RawHttp.Response started = directCall(engine.socket(), RawHttp.request("POST", "/containers/" + id + "/start"))
                .orElseThrow();
        assertThat(started.status()).as(started.toString()).isEqualTo(204);
        return id;
    }

    private void removeOnEngine(String id) {
        RawHttp.Response r = directCall(engine.socket(), RawHttp.request("DELETE", "/containers/" + id + "?force=1&v=1"))
                .orElseThrow(() -> new AssertionError("the engine does not answer"));
        assertThat(r.status()).as(r.toString()).isIn(204, 404);
    }

    /** Whether the engine knows the container; empty while the engine does not answer. */
    private Optional<Boolean> engineHas(String name) {
        return directCall(engine.socket(), RawHttp.request("GET", "/containers/" + name + "/json"))
                .filter(r -> r.status() == 200 || r.status() == 404).map(r -> r.status() == 200);
    }

    private Optional<JsonNode> inspectOnEngine(String name) {
        return directCall(engine.socket(), RawHttp.request("GET", "/containers/" + name + "/json"))
                .filter(r -> r.status() == 200).map(RawHttp.Response::json);
    }

    /** Polls until the engine has no container labelled by this run; returns what is left at the deadline. */
    private List<JsonNode> awaitNoContainers(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> left;
        while (true) {
            left = new ArrayList<>();
            RawHttp.Response r = directCall(engine.socket(), RawHttp.request("GET", "/containers/json?all=1&filters="
                    + Engine.encode("{\"label\":[\"" + Engine.labelArg() + "\"]}"))).orElseThrow();
            r.json().forEach(left::add);
            if (left.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            ReapKit.pause(200);
        }
        for (JsonNode c : left) {
            System.out.println("[soak] left on the engine: " + c.path("Names") + " " + c.path("State") + " "
                    + c.path("Status") + " " + c.path("Labels"));
        }
        return left;
    }

    /** One request on a connection of its own, with the request deadline; empty if the socket does not answer in time. */
    private static Optional<RawHttp.Response> directCall(Path socket, RawHttp.Request request) {
        try (RawHttp http = RawHttp.connect(socket).timeout(REQUEST_DEADLINE)) {
            return Optional.of(http.exchange(request));
        } catch (UncheckedIOException e) {
            return Optional.empty();
        } catch (AssertionError e) {
            String what = String.valueOf(e.getMessage());
            if (what.startsWith("connection closed") || what.startsWith("timed out")) {
                return Optional.empty(); // the engine went down under the request, or is still on its way down
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- tether itself

    /** Every second: tether still runs, and its RSS (the peak is read at the end too, from VmHWM). */
    private void watchTether() {
        while (!Thread.currentThread().isInterrupted()) {
            if (!tether.process.isAlive()) {
                note("tether died: exit " + tether.process.exitValue());
                return;
            }
            maxRssKib.accumulateAndGet(statusKib(tether.pid(), "VmRSS"), Math::max);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private int awaitOpenConnections(int expected, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int open;
        while ((open = openConnections()) != expected && System.nanoTime() < deadline) {
            ReapKit.pause(100);
        }
        return open;
    }

    /** {@code tether_connections_open} from the control socket's {@code /metrics}. */
    private int openConnections() {
        Path control = socket.resolveSibling(socket.getFileName() + ".control");
        RawHttp.Response r = directCall(control, RawHttp.request("GET", "/metrics"))
                .orElseThrow(() -> new AssertionError("tether's control socket does not answer"));
        Matcher m = Pattern.compile("(?m)^tether_connections_open(?:\\{[^}]*\\})? (\\d+)(?:\\.0)?$").matcher(r.text());
        assertThat(m.find()).as("tether_connections_open in\n%s", r.text()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static long descriptors(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Each descriptor's kind, as its link in /proc/PID/fd names it: socket, pipe, anon_inode:[pidfd], a path. */
    private static Map<String, Long> descriptorKinds(long pid) {
        Map<String, Long> kinds = new TreeMap<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    kinds.merge(target.replaceFirst("^(socket|pipe):\\[\\d+\\]$", "$1"), 1L, Long::sum);
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return kinds;
    }

    /** What changed between two counts by kind: {@code (socket +2, anon_inode:[pidfd] -1)}, or {@code (same kinds)}. */
    private static String descriptorChange(Map<String, Long> before, Map<String, Long> after) {
        Set<String> kinds = new TreeSet<>(before.keySet());
        kinds.addAll(after.keySet());
        String change = kinds.stream().filter(k -> !before.getOrDefault(k, 0L).equals(after.getOrDefault(k, 0L)))
                .map(k -> String.format("%s %+d", k, after.getOrDefault(k, 0L) - before.getOrDefault(k, 0L)))
                .collect(Collectors.joining(", "));
        return "(" + (change.isEmpty() ? "same kinds" : change) + ")";
    }

    /** Polls until tether holds at most {@code limit} descriptors (pooled engine connections close when idle). */
    private static long awaitDescriptorsAtMost(long pid, long limit, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long fds;
        while ((fds = descriptors(pid)) > limit && System.nanoTime() < deadline) {
            ReapKit.pause(200);
        }
        return fds;
    }

    private static long peakRssKib(long pid) {
        return statusKib(pid, "VmHWM");
    }

    private static long statusKib(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            // gone
        }
        return 0;
    }

    /** The heap after each GC in tether's GC log ({@code Pause Young (…) 12M->4M(30M)}), in MiB, in order. */
    private static List<Long> heapAfterGc(Path gcLog) throws IOException {
        List<Long> after = new ArrayList<>();
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = GC_AFTER.matcher(line);
            if (m.find()) {
                after.add(Long.parseLong(m.group(2)));
            }
        }
        return after;
    }

    /** Every line of the journal and its rotated files parses as one JSON record; returns how many there are. */
    private static int journalLines(Path journal) throws IOException {
        int lines = 0;
        try (Stream<Path> files = Files.list(journal.getParent())) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("audit\\.jsonl(\\.\\d+)?")).toList()) {
                lines += AuditItJournal.records(f).size();
                assertThat(AuditItJournal.raw(f).tail()).as("the end of %s: a whole line", f).isEmpty();
            }
        }
        return lines;
    }

    // ---------------------------------------------------------------- counting

    /** Keeps the first problems' descriptions for the report: a long soak could have many of one kind. */
    private void note(String problem) {
        if (problems.size() < 200) {
            problems.add(problem);
        }
    }

    /** Counts by kind, safe from many threads. */
    private static final class Tally {
        final Map<String, LongAdder> counts = new ConcurrentSkipListMap<>();

        void add(String kind) {
            counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
        }

        long count(String kind) {
            LongAdder a = counts.get(kind);
            return a == null ? 0 : a.sum();
        }

        String matching(Predicate<String> kinds) {
            return counts.entrySet().stream().filter(e -> kinds.test(e.getKey()))
                    .map(e -> e.getKey().substring(e.getKey().indexOf(' ') + 1) + " " + e.getValue().sum())
                    .collect(Collectors.joining(", ", "(", ")"));
        }

        String all() {
            return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().sum())
                    .collect(Collectors.joining(", ", "(", ")"));
        }
    }

    private static String percentile(List<Long> values, int p) {
        List<Long> sorted;
        synchronized (values) {
            sorted = values.stream().sorted().toList();
        }
        if (sorted.isEmpty()) {
            return "-";
        }
        int index = Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1);
        return sorted.get(Math.max(0, index)) + " ms";
    }

    private void awaitStopping(Duration d) {
        if (d.isNegative()) {
            return;
        }
        try {
            stopping.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
