package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exact bytes on the wire, for what a CLI cannot be made to send: upgrade and non-upgrade hijacks, stream bytes
 * in the same write as the request, half-close, dropped clients, websocket attach, HEAD, big heads, keep-alive.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RawProtocolIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static String sleeper;
    private static String sleeperName;

    @BeforeAll
    static void startSleeper() {
        sleeperName = Engine.name("raw-sleeper");
        sleeper = Engine.runDetached(sleeperName, "sleep", "600");
    }

    /** Creates an exec in the sleeper through the socket under test; returns its id. */
    private static String createExec(String json) {
        RawHttp.Response r = tether.call(RawHttp.request("POST", "/containers/" + sleeper + "/exec").json(json));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("Id").asText();
    }

    private static JsonNode awaitExecDone(String execId) {
        for (int i = 0; i < 200; i++) {
            JsonNode exec = tether.call(RawHttp.request("GET", "/exec/" + execId + "/json")).json();
            if (!exec.path("Running").asBoolean(true)) {
                return exec;
            }
            Engine.pause();
        }
        throw new AssertionError("exec " + execId + " still running");
    }

    // ------------------------------------------------------------------ case 4

    @Test
    void execStartWithAJsonBodyIsUpgradedTo101AndStreamsTheOutput() {
        String exec = createExec("{\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"sh\",\"-c\",\"echo hello-101; echo oops >&2\"]}");

        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("POST", "/exec/" + exec + "/start")
                    .header("Connection", "Upgrade")
                    .header("Upgrade", "tcp")
                    .json("{\"Detach\":false,\"Tty\":false}")
                    .bytes());
            RawHttp.Head head = http.readHead();

            assertThat(head.statusLine()).startsWith("HTTP/1.1 101");
            assertThat(head.header("Upgrade")).hasValue("tcp");
            RawHttp.Demuxed out = RawHttp.demux(http.readToEof());
            assertThat(out.out()).isEqualTo("hello-101\n");
            assertThat(out.err()).isEqualTo("oops\n");
        }
        assertThat(awaitExecDone(exec).path("ExitCode").asInt(-1)).isZero();
    }

    // ------------------------------------------------------------------ case 5

    @Test
    void execStartWithoutAnUpgradeHeaderAnswers200AndARawStreamUntilEof() {
        String exec = createExec("{\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"echo\",\"plain-200\"]}");

        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("POST", "/exec/" + exec + "/start").json("{\"Detach\":false,\"Tty\":false}").bytes());
            RawHttp.Head head = http.readHead();

            assertThat(head.status()).as(head.statusLine()).isEqualTo(200);
            assertThat(head.header("Content-Type")).hasValue("application/vnd.docker.raw-stream");
            assertThat(RawHttp.demux(http.readToEof()).out()).isEqualTo("plain-200\n");
        }
    }

    @Test
    void attachWithoutAnUpgradeHeaderAnswers200AndStreamsUntilTheContainerExits() {
        String name = Engine.name("raw-attach");
        String id = Engine.create(name, Engine.containerSpec("sh", "-c", "echo attached-out; echo attached-err >&2"));

        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("POST", "/containers/" + id + "/attach?stream=1&stdout=1&stderr=1").bytes());
            RawHttp.Head head = http.readHead(); // the daemon answers before the container starts
            assertThat(head.status()).as(head.statusLine()).isEqualTo(200);

            Engine.start(id);
            RawHttp.Demuxed out = RawHttp.demux(http.readToEof());

            assertThat(out.out()).isEqualTo("attached-out\n");
            assertThat(out.err()).isEqualTo("attached-err\n");
        }
    }

    // ------------------------------------------------------------------ case 6

    @Test
    void stdinSentInTheSameWriteAsTheUpgradeRequestReachesTheExecAndHalfCloseEndsIt() {
        // dockerd 20.10 itself loses such bytes: at hijack it drops what its HTTP server had read past the request
        // (moby httputils.HijackConnection ignores the bufio.Reader). A proxy must hold them until the 101 is back.
        String exec = createExec("{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"cat\"]}");
        byte[] payload = ("same-write-payload " + Engine.RUN_ID + "\n").repeat(100).getBytes(StandardCharsets.UTF_8);

        try (RawHttp http = tether.connect()) {
            byte[] oneWrite = RawHttp.concat(execStartUpgrade(exec), payload);
            assertThat(http.writeOnce(oneWrite)).as("bytes taken by one write").isEqualTo(oneWrite.length);
            http.shutdownOutput();

            RawHttp.Head head = http.readHead();
            assertThat(head.statusLine()).startsWith("HTTP/1.1 101");
            RawHttp.Demuxed out = RawHttp.demux(http.readToEof());
            assertThat(out.stdout()).isEqualTo(payload);
        }
        assertThat(awaitExecDone(exec).path("ExitCode").asInt(-1)).isZero();
    }

    @Test
    void stdinSentRightAfterThe101ReachesTheExecAndHalfCloseEndsIt() {
        String exec = createExec("{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"cat\"]}");
        byte[] payload = ("after-101-payload " + Engine.RUN_ID + "\n").repeat(100).getBytes(StandardCharsets.UTF_8);

        try (RawHttp http = tether.connect()) {
            http.write(execStartUpgrade(exec));
            assertThat(http.readHead().statusLine()).startsWith("HTTP/1.1 101");
            http.write(payload);
            http.shutdownOutput();

            RawHttp.Demuxed out = RawHttp.demux(http.readToEof());
            assertThat(out.stdout()).isEqualTo(payload);
        }
        assertThat(awaitExecDone(exec).path("ExitCode").asInt(-1)).isZero();
    }

    private static byte[] execStartUpgrade(String exec) {
        return RawHttp.request("POST", "/exec/" + exec + "/start")
                .header("Connection", "Upgrade")
                .header("Upgrade", "tcp")
                .json("{\"Detach\":false,\"Tty\":false}")
                .bytes();
    }

    @Test
    void outputWrittenRightAfterTheUpgradeIsNotLost() {
        // the exec prints at once: its first bytes may travel in the same read as the 101 head
        String exec = createExec("{\"AttachStdout\":true,\"Cmd\":[\"sh\",\"-c\",\"seq 1 20000\"]}");
        var expected = new StringBuilder();
        for (int i = 1; i <= 20000; i++) {
            expected.append(i).append('\n');
        }

        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("POST", "/exec/" + exec + "/start")
                    .header("Connection", "Upgrade").header("Upgrade", "tcp")
                    .json("{\"Detach\":false,\"Tty\":false}").bytes());
            http.shutdownOutput(); // as the CLI does right after the 101 when stdin is not attached

            assertThat(http.readHead().statusLine()).startsWith("HTTP/1.1 101");
            assertThat(RawHttp.demux(http.readToEof()).out()).isEqualTo(expected.toString());
        }
    }

    // ------------------------------------------------------------------ case 7

    @Test
    void waitAnswersItsHeadAtOnceAndItsBodyWhenTheContainerExits() {
        String name = Engine.name("wait");
        String id = Engine.runDetached(name, "sh", "-c", "while [ ! -f /tmp/go ]; do sleep 0.1; done; exit 7");

        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("POST", "/containers/" + id + "/wait?condition=next-exit").bytes());
            RawHttp.Head head = http.readHead(); // docker run waits for this head before it starts the container
            assertThat(head.status()).isEqualTo(200);
            assertThat(Engine.running(Engine.inspect(id))).as("still running when the head arrived").isTrue();

            Engine.execDetached(id, "touch", "/tmp/go");
            JsonNode body = new RawHttp.Response(head, http.readBody(head, "POST")).json();
            assertThat(body.get("StatusCode").asInt()).isEqualTo(7);
        }
    }

    // ------------------------------------------------------------------ case 9

    @Test
    void aClientLeavingAnEventsStreamLeavesNoOpenConnection() {
        DockerProxy proxy = tether.proxy();
        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("GET", "/events").bytes());
            assertThat(http.readHead().status()).isEqualTo(200);
            assertThat(proxy.openConnections()).as("connections while streaming events").isPositive();
        }
        TetherExtension.awaitValue(proxy::openConnections, 0, "proxy.openConnections()", Duration.ofSeconds(10));
    }

    @Test
    void aClientLeavingAWaitLeavesNoOpenConnection() {
        DockerProxy proxy = tether.proxy();
        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("POST", "/containers/" + sleeper + "/wait").bytes());
            assertThat(http.readHead().status()).isEqualTo(200); // headers at once, the body only at exit
            assertThat(proxy.openConnections()).as("connections while waiting").isPositive();
        }
        TetherExtension.awaitValue(proxy::openConnections, 0, "proxy.openConnections()", Duration.ofSeconds(10));
        assertThat(Engine.running(Engine.inspect(sleeper))).as("the container waited on keeps running").isTrue();
    }

    // ------------------------------------------------------------------ case 11

    @Test
    void aPriorKnowledgeHttp2PrefaceIsAnsweredOrClosedPromptly() {
        try (RawHttp http = tether.connect()) {
            http.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // dockerd 20.10 answers HTTP/1.1 and closes; an engine from 29.2 on answers in HTTP/2. Either way: no hang.
            byte[] first = http.timeout(Duration.ofSeconds(10)).readAny();
            if (first.length > 0 && new String(first, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.")) {
                http.awaitEof(); // an HTTP/1 answer to a preface ends the connection
            }
        }
    }

    // ------------------------------------------------------------------ case 12

    @Test
    void websocketAttachIsUpgradedAndCarriesTheContainersOutput() throws Exception {
        String name = Engine.name("ws");
        String id = Engine.runDetached(name, "sh", "-c", "while true; do echo ws-tick; sleep 0.2; done");
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));

        try (RawHttp http = tether.connect()) {
            http.write(RawHttp.request("GET", "/containers/" + id + "/attach/ws?stream=1&stdout=1")
                    .header("Upgrade", "websocket")
                    .header("Connection", "Upgrade")
                    .header("Sec-WebSocket-Key", key)
                    .header("Sec-WebSocket-Version", "13")
                    .header("Origin", "http://localhost")
                    .bytes());
            RawHttp.Head head = http.readHead();

            assertThat(head.statusLine()).startsWith("HTTP/1.1 101");
            assertThat(head.header("Sec-WebSocket-Accept")).hasValue(accept);
            byte[] frames = http.readUntilContains("ws-tick");
            assertThat(frames[0] & 0x0f).as("websocket opcode of the first frame (1 text, 2 binary)").isIn(1, 2);
        }
    }

    // ------------------------------------------------------------------ case 14

    @Test
    void headPingAnswersWithTheVersionHeadersAndNoBody() {
        try (RawHttp http = tether.connect()) {
            RawHttp.Response ping = http.exchange(RawHttp.request("HEAD", "/_ping"));

            assertThat(ping.status()).isEqualTo(200);
            assertThat(ping.head().header("Api-Version")).hasValueSatisfying(v -> assertThat(v).matches("1\\.\\d+"));
            assertThat(ping.head().header("Ostype")).hasValue("linux");
            assertThat(ping.head().header("Server")).hasValueSatisfying(v -> assertThat(v).startsWith("Docker/"));
            assertThat(ping.head().header("Docker-Experimental")).isPresent();

            // nothing followed the head: the next answer on this connection is the next request's
            RawHttp.Response get = http.exchange(RawHttp.request("GET", "/_ping"));
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.text()).isEqualTo("OK");
        }
    }

    @Test
    void headArchiveAnswersWithThePathStatHeader() throws Exception {
        try (RawHttp http = tether.connect()) {
            RawHttp.Response r = http.exchange(RawHttp.request("HEAD", "/containers/" + sleeper + "/archive?path=/bin/busybox"));

            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            String stat = r.head().header("X-Docker-Container-Path-Stat").orElseThrow();
            JsonNode json = RawHttp.JSON.readTree(Base64.getDecoder().decode(stat));
            assertThat(json.get("name").asText()).isEqualTo("busybox");
            assertThat(json.get("size").asLong()).isPositive();

            assertThat(http.exchange(RawHttp.request("GET", "/_ping")).text()).isEqualTo("OK");
        }
    }

    // ------------------------------------------------------------------ case 15

    @Test
    void aLongFiltersQueryAndAHugeRegistryConfigHeaderAreAnswered() {
        var filter = RawHttp.JSON.createObjectNode();
        filter.putArray("label").add(Engine.labelArg());
        var names = filter.putArray("name");
        names.add(sleeperName);
        int i = 0;
        while (filter.toString().length() < 100 * 1024) {
            names.add("tether-it-padding-name-" + i++);
        }
        byte[] config = new byte[150 * 1024];
        new SecureRandom().nextBytes(config);
        String registryConfig = Base64.getEncoder().encodeToString(config); // 200 KiB

        RawHttp.Response r = tether.call(RawHttp.request("GET", "/containers/json?all=1&filters=" + Engine.encode(filter.toString()))
                .header("X-Registry-Config", registryConfig));

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json()).hasSize(1);
        assertThat(r.json().get(0).get("Id").asText()).isEqualTo(sleeper);
    }

    // ------------------------------------------------------------------ case 18

    @Test
    void anUpgradeAttachToAMissingContainerGetsA404SayingNoSuchContainer() {
        RawHttp.Response r = tether.call(RawHttp.request("POST", "/containers/" + Engine.name("missing") + "/attach?stream=1&stdout=1")
                .header("Connection", "Upgrade").header("Upgrade", "tcp"));

        // dockerd writes this one itself on the hijacked connection: plain text, read until the close
        assertThat(r.status()).as(r.toString()).isEqualTo(404);
        assertThat(r.text()).contains("No such container");
    }

    @Test
    void anUpgradeExecStartOfAnUnknownExecGetsA404WithAJsonMessage() {
        RawHttp.Response r = tether.call(RawHttp.request("POST", "/exec/" + "0".repeat(64) + "/start")
                .header("Connection", "Upgrade").header("Upgrade", "tcp").json("{\"Detach\":false,\"Tty\":false}"));

        assertThat(r.status()).as(r.toString()).isEqualTo(404);
        assertThat(r.json().get("message").asText()).contains("No such exec instance");
    }

    // ------------------------------------------------------------------ case 19

    @Test
    void oneKeepAliveConnectionServesSeveralRequestsAlsoAfterAChunkedStream() {
        String name = Engine.name("keepalive");
        String id = Engine.runDetached(name, "sh", "-c", "for i in 1 2 3; do echo log-$i; done; echo err-line >&2");
        Engine.awaitContainer(id, c -> !Engine.running(c), "exited", Duration.ofSeconds(10));

        try (RawHttp http = tether.connect()) {
            assertThat(http.exchange(RawHttp.request("GET", "/_ping")).text()).isEqualTo("OK");

            RawHttp.Response logs = http.exchange(RawHttp.request("GET", "/containers/" + id + "/logs?stdout=1&stderr=1"));
            assertThat(logs.status()).isEqualTo(200);
            assertThat(logs.head().isChunked()).as("logs streamed chunked").isTrue();
            RawHttp.Demuxed out = RawHttp.demux(logs.body());
            assertThat(out.out()).isEqualTo("log-1\nlog-2\nlog-3\n");
            assertThat(out.err()).isEqualTo("err-line\n");

            RawHttp.Response inspect = http.exchange(RawHttp.request("GET", "/containers/" + name + "/json"));
            assertThat(inspect.status()).isEqualTo(200);
            assertThat(inspect.json().get("Id").asText()).isEqualTo(id);

            RawHttp.Response missing = http.exchange(RawHttp.request("GET", "/containers/" + Engine.name("missing") + "/json"));
            assertThat(missing.status()).isEqualTo(404);

            RawHttp.Response version = http.exchange(RawHttp.request("GET", "/version"));
            assertThat(version.status()).isEqualTo(200);
            assertThat(version.json().get("ApiVersion").asText()).isNotEmpty();

            RawHttp.Response wait = http.exchange(RawHttp.request("POST", "/containers/" + id + "/wait"));
            assertThat(wait.status()).isEqualTo(200);
            assertThat(wait.json().get("StatusCode").asInt()).isZero();

            assertThat(http.exchange(RawHttp.request("GET", "/_ping")).text()).isEqualTo("OK");
        }
    }

    @Test
    void concurrentKeepAliveConnectionsEachGetTheirOwnAnswers() {
        int n = 6;
        String[] ids = new String[n];
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = Engine.name("pinned");
            ids[i] = Engine.create(names[i], Engine.containerSpec("true"));
        }
        var conns = new java.util.ArrayList<RawHttp>();
        try {
            for (int i = 0; i < n; i++) {
                conns.add(tether.connect());
            }
            for (int round = 0; round < 5; round++) {
                // every connection has a request in flight before any answer is read
                for (int i = 0; i < n; i++) {
                    conns.get(i).write(RawHttp.request("GET", "/containers/" + names[i] + "/json").bytes());
                }
                for (int i = n - 1; i >= 0; i--) {
                    RawHttp.Head head = conns.get(i).readHead();
                    RawHttp.Response r = new RawHttp.Response(head, conns.get(i).readBody(head, "GET"));
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.json().get("Id").asText()).as("answer on connection " + i).isEqualTo(ids[i]);
                }
            }
        } finally {
            conns.forEach(RawHttp::close);
        }
    }

    @Test
    void closingTetherEndsItsOpenStreamsPromptlyAndRemovesItsSocket() throws Exception {
        DockerProxy second = tether.startProxy("closing.sock", Engine.endpoint());
        try (RawHttp events = RawHttp.connect(second.socket()); RawHttp attach = RawHttp.connect(second.socket())) {
            events.write(RawHttp.request("GET", "/events").bytes());
            assertThat(events.readHead().status()).isEqualTo(200);
            attach.write(RawHttp.request("POST", "/containers/" + sleeper + "/attach?stream=1&stdout=1&stderr=1")
                    .header("Connection", "Upgrade").header("Upgrade", "tcp").bytes());
            assertThat(attach.readHead().statusLine()).startsWith("HTTP/1.1 101");

            long started = System.nanoTime();
            second.close();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time to close").isLessThan(Duration.ofSeconds(10));

            events.timeout(Duration.ofSeconds(10)).awaitEof();
            attach.timeout(Duration.ofSeconds(10)).awaitEof();
            assertThat(java.nio.file.Files.exists(second.socket())).as("socket file left behind").isFalse();
        }
        assertThat(Engine.running(Engine.inspect(sleeper))).as("the attached container keeps running").isTrue();
    }

    // ------------------------------------------------------------------ case 20

    @Test
    void versionPrefixedPathsIdPrefixesAndNamesAllReachTheContainer() {
        try (RawHttp http = tether.connect()) {
            RawHttp.Response ping = http.exchange(RawHttp.request("GET", "/v1.41/_ping"));
            assertThat(ping.text()).isEqualTo("OK");

            for (String target : new String[] {
                "/v1.41/containers/" + sleeper.substring(0, 12) + "/json",
                "/v1.41/containers/" + sleeperName + "/json",
                "/containers/" + sleeper.substring(0, 20) + "/json",
                "/v1.41/containers/" + sleeper + "/json"}) {
                RawHttp.Response r = http.exchange(RawHttp.request("GET", target));
                assertThat(r.status()).as(target + " " + r).isEqualTo(200);
                assertThat(r.json().get("Id").asText()).as(target).isEqualTo(sleeper);
            }
        }
    }
}
